import type { Metadata } from "next";
import { AdminTokens } from "@/components/tokens/admin-tokens";
import { requireAdmin } from "../../_lib/session";

export const metadata: Metadata = { title: "Tokens" };

export default async function AdminTokensPage() {
  // The proxy already refused non-admins (proxy.ts guardAdminPages); this page never relies on that alone.
  await requireAdmin();
  return (
    <>
      <h1 className="text-xl font-semibold">API tokens</h1>
      <AdminTokens />
    </>
  );
}
