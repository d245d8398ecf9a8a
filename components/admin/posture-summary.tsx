import Link from "next/link";
import type { PostureReport } from "@/server/posture/types";
import { Card } from "../ui";
import { PostureBadge } from "./posture-badge";

/**
 * The Overview's posture card: the counts, the rules that fail (then warn),
 * each linking to its row on the Posture page, and a link to the whole page.
 */
export function PostureSummary({ report }: { report: PostureReport }) {
  const attention = [
    ...report.results.filter((r) => r.status === "fail"),
    ...report.results.filter((r) => r.status === "warn"),
  ];
  const shown = attention.slice(0, 5);
  return (
    <Card
      title="Deployment posture"
      actions={
        <Link href="/admin/posture" className="text-sm text-brand-600 hover:underline" data-testid="posture-link">
          All {report.results.length} rules →
        </Link>
      }
    >
      <div className="flex flex-wrap items-center gap-3 text-sm" data-testid="posture-counts">
        <PostureBadge status={report.overall} />
        <span>
          <span className="font-semibold tabular-nums">{report.counts.fail}</span> failed,{" "}
          <span className="font-semibold tabular-nums">{report.counts.warn}</span>{" "}
          {report.counts.warn === 1 ? "warning" : "warnings"},{" "}
          <span className="font-semibold tabular-nums">{report.counts.pass}</span> passed
        </span>
      </div>
      {shown.length > 0 ? (
        <ul className="mt-3 divide-y divide-slate-100 text-sm">
          {shown.map((r) => (
            <li key={r.id} className="flex items-start gap-3 py-1.5">
              <PostureBadge status={r.status} />
              <Link href={`/admin/posture#${r.id}`} className="hover:underline">
                <span className="font-medium">{r.title}</span>
                <span className="text-slate-600"> — {r.summary}</span>
              </Link>
            </li>
          ))}
          {attention.length > shown.length ? (
            <li className="py-1.5 text-slate-500">and {attention.length - shown.length} more on the Posture page</li>
          ) : null}
        </ul>
      ) : (
        <p className="mt-3 text-sm text-slate-600">Every rule passes.</p>
      )}
    </Card>
  );
}
