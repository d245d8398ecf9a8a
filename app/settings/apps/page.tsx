import type { Metadata } from "next";
import { AppShell } from "@/components/app-shell";
import { AuthorizedApps } from "@/components/oauth/authorized-apps";
import { userNav } from "../../_lib/nav";
import { requireUser } from "../../_lib/session";

export const metadata: Metadata = { title: "Authorised apps" };
export const dynamic = "force-dynamic";

export default async function AuthorizedAppsPage() {
  const principal = await requireUser("/settings/apps");
  return (
    <AppShell nav={userNav(principal)} email={principal.email}>
      <h1 className="text-xl font-semibold">Authorised apps</h1>
      <p className="max-w-3xl text-sm text-slate-600">
        Applications you have allowed to use your Gatehouse account through OAuth. Revoking one ends its access at once:
        its tokens stop working, and it has to ask you again before it can come back.
      </p>
      <AuthorizedApps />
    </AppShell>
  );
}
