import type { Metadata } from "next";
import Link from "next/link";
import { Card } from "@/components/ui";
import { requireAdmin, serverCaller } from "../_lib/session";

export const metadata: Metadata = { title: "Overview" };

export default async function AdminOverviewPage() {
  const principal = await requireAdmin();
  const api = await serverCaller(principal);
  const summary = await api.admin.overview.summary();
  const recent = await api.admin.audit.list({ limit: 8 });
  const tiles: Array<[string, number, string]> = [
    ["Active users", summary.activeUsers, "/admin/users"],
    ["Disabled users", summary.disabledUsers, "/admin/users"],
    ["Active sessions", summary.activeSessions, "/admin/users"],
    ["Contacts stored", summary.contacts, "/admin/audit?action=contact."],
    ["Audit entries (24 h)", summary.auditEntries24h, "/admin/audit"],
    ["Failed sign-ins (24 h)", summary.failedSignIns24h, "/admin/audit?action=session.login_failed"],
  ];
  return (
    <>
      <h1 className="text-xl font-semibold">Overview</h1>
      <div className="grid grid-cols-2 gap-4 md:grid-cols-3">
        {tiles.map(([label, value, href]) => (
          <Link
            key={label}
            href={href}
            className="rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200 hover:ring-brand-500"
          >
            <div className="text-sm text-slate-500">{label}</div>
            <div className="mt-1 text-2xl font-semibold tabular-nums" data-testid={`tile-${label}`}>
              {value}
            </div>
          </Link>
        ))}
      </div>
      <Card
        title="Latest activity"
        actions={
          <Link href="/admin/audit" className="text-sm text-brand-600 hover:underline">
            Audit log →
          </Link>
        }
      >
        <ul className="divide-y divide-slate-100 text-sm">
          {recent.items.map((e) => (
            <li key={e.id} className="flex flex-wrap gap-x-3 py-1.5">
              <span className="font-mono text-xs text-slate-500">{e.at.replace("T", " ").slice(0, 19)}</span>
              <span className="font-medium">{e.action}</span>
              <span className="text-slate-600">
                {e.actorKind}
                {e.actorId ? ` ${e.actorId}` : ""}
              </span>
              {e.outcome !== "success" ? <span className="text-red-700">{e.outcome}</span> : null}
            </li>
          ))}
        </ul>
      </Card>
    </>
  );
}
