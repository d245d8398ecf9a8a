import type { Metadata } from "next";
import { PostureBadge } from "@/components/admin/posture-badge";
import { PostureRules } from "@/components/admin/posture-rules";
import { requireAdmin, serverCaller } from "../../_lib/session";

export const metadata: Metadata = { title: "Posture" };

/**
 * The deployment posture: every rule of `gatehouse check` with its verdict,
 * what was found, why it matters and how to fix it (server/posture,
 * procedure admin.posture.get). Server-rendered on every request.
 */
export default async function AdminPosturePage() {
  // The proxy already refused non-admins (proxy.ts guardAdminPages); this page never relies on that alone.
  const principal = await requireAdmin();
  const report = await (await serverCaller(principal)).admin.posture.get();
  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-4">
        <h1 className="text-xl font-semibold">Posture</h1>
        <div className="flex items-center gap-3 text-sm text-slate-600" data-testid="posture-overall">
          <PostureBadge status={report.overall} />
          <span>
            {report.counts.fail} failed, {report.counts.warn} {report.counts.warn === 1 ? "warning" : "warnings"},{" "}
            {report.counts.pass} passed · checked {report.generatedAt.replace("T", " ").slice(0, 19)} UTC
          </span>
        </div>
      </div>
      <p className="max-w-3xl text-sm text-slate-600">
        How safe this deployment is set up: the configuration, the data folder on disk and the database, judged by the
        same rules as <code className="font-mono text-xs">npm run gatehouse -- check</code> (which exits with code 1 on
        any fail, for a deploy pipeline). Warnings are worth a look; failures are worth fixing before going live.
      </p>
      <PostureRules report={report} />
    </>
  );
}
