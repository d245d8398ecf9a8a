import type { Metadata } from "next";
import { AppShell } from "@/components/app-shell";
import { TokensManager } from "@/components/tokens/tokens-manager";
import { userNav } from "../../_lib/nav";
import { requireUser } from "../../_lib/session";

export const metadata: Metadata = { title: "API tokens" };
export const dynamic = "force-dynamic";

export default async function TokensPage() {
  const principal = await requireUser("/settings/tokens");
  return (
    <AppShell nav={userNav(principal)} email={principal.email}>
      <h1 className="text-xl font-semibold">API tokens</h1>
      <p className="max-w-3xl text-sm text-slate-600">
        Tokens let programs call the REST API at <code>/api/v1</code> as you, with only the scopes you give them. Send
        one as <code>Authorization: Bearer gth_…</code>. A token is shown once, when you create it; Gatehouse keeps only
        a hash.
      </p>
      <TokensManager />
    </AppShell>
  );
}
