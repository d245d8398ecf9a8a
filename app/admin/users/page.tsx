import type { Metadata } from "next";
import { UsersManager } from "@/components/admin/users-manager";
import { requireAdmin } from "../../_lib/session";

export const metadata: Metadata = { title: "Users" };

export default async function AdminUsersPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  // The proxy already refused non-admins (proxy.ts guardAdminPages); this page never relies on that alone.
  await requireAdmin();
  // ?search=: the audit log and the overview link a user here by email.
  const search = (await searchParams).search;
  return (
    <>
      <h1 className="text-xl font-semibold">Users</h1>
      <UsersManager initialSearch={typeof search === "string" ? search.slice(0, 254) : ""} />
    </>
  );
}
