import type { Metadata } from "next";
import { OAuthClientsManager } from "@/components/admin/oauth-clients-manager";
import { requireAdmin } from "../../_lib/session";

export const metadata: Metadata = { title: "OAuth clients" };

/** OAuth 2.0 clients and the token signing keys (the admin layout has already checked that this is a signed-in admin). */
export default async function AdminOAuthClientsPage() {
  // The proxy already refused non-admins (proxy.ts guardAdminPages); this page never relies on that alone.
  await requireAdmin();
  return (
    <>
      <h1 className="text-xl font-semibold">OAuth clients</h1>
      <p className="max-w-3xl text-sm text-slate-600">
        Applications registered here can ask people for access to their Gatehouse account (authorization code with PKCE)
        or act as themselves (client credentials), and call the API with short-lived access tokens. A client secret is
        shown once, when it is created or rotated; Gatehouse keeps only a hash.
      </p>
      <OAuthClientsManager />
    </>
  );
}
