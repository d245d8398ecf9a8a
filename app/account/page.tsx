import type { Metadata } from "next";
import { AccountPassword } from "@/components/account/account-password";
import { OwnSessions } from "@/components/account/own-sessions";
import { SecondFactors } from "@/components/account/second-factors";
import { AppShell } from "@/components/app-shell";
import { Badge, Card } from "@/components/ui";
import { userNav } from "../_lib/nav";
import { requireUser, serverCaller } from "../_lib/session";

export const metadata: Metadata = { title: "Your account" };
export const dynamic = "force-dynamic";

/** Everyone's own page: who they are, their password, their second factors, their sessions. */
export default async function AccountPage() {
  const principal = await requireUser("/account");
  const me = await (await serverCaller(principal)).account.me();
  return (
    <AppShell nav={userNav(principal)} email={principal.email} area="">
      <h1 className="text-xl font-semibold">Your account</h1>
      <Card title="Profile">
        <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2 text-sm">
          <dt className="text-slate-500">Email</dt>
          <dd data-testid="account-email">{me.email}</dd>
          <dt className="text-slate-500">Name</dt>
          <dd>{me.name ?? <span className="text-slate-400">—</span>}</dd>
          <dt className="text-slate-500">Role</dt>
          <dd>
            <Badge tone={me.role === "admin" ? "blue" : "slate"}>{me.role}</Badge>
          </dd>
        </dl>
      </Card>
      <section aria-labelledby="password-heading" className="max-w-md space-y-3">
        <h2 id="password-heading" className="text-base font-semibold">
          Change password
        </h2>
        <p className="text-sm text-slate-600">Changing it signs out every other session of yours.</p>
        <AccountPassword email={me.email} />
      </section>
      <SecondFactors />
      <OwnSessions />
    </AppShell>
  );
}
