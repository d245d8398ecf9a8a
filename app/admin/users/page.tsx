import type { Metadata } from "next";
import { UsersManager } from "@/components/admin/users-manager";
import { requireAdmin } from "../../_lib/session";

export const metadata: Metadata = { title: "Users" };

export default async function AdminUsersPage() {
  // The proxy already refused non-admins (proxy.ts guardAdminPages); this page never relies on that alone.
  await requireAdmin();
  return (
    <>
      <h1 className="text-xl font-semibold">Users</h1>
      <UsersManager />
    </>
  );
}
