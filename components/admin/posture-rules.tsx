import type { PostureReport } from "@/server/posture/types";
import { GROUP_TITLES, POSTURE_GROUPS } from "@/server/posture/types";
import { Card } from "../ui";
import { PostureBadge } from "./posture-badge";

/**
 * Every posture rule, one table per group: the verdict, the rule, what was
 * found (with specifics), and — open for anything that did not pass — why it
 * matters and how to fix it. Server-rendered; the disclosure is a native
 * <details>, so it needs no script under the CSP.
 */
export function PostureRules({ report }: { report: PostureReport }) {
  return (
    <>
      {POSTURE_GROUPS.map((group) => {
        const rows = report.results.filter((r) => r.group === group);
        if (rows.length === 0) return null;
        return (
          <Card key={group} title={GROUP_TITLES[group]}>
            <div className="overflow-x-auto">
              <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid={`posture-group-${group}`}>
                <thead>
                  <tr>
                    {/* The same column widths in every group, so the tables line up down the page. */}
                    {[
                      ["Status", "w-24"],
                      ["Rule", "w-72"],
                      ["Found", ""],
                    ].map(([h, width]) => (
                      <th
                        key={h}
                        scope="col"
                        className={`px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500 ${width}`}
                      >
                        {h}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {rows.map((rule) => (
                    <tr key={rule.id} id={rule.id} data-testid="posture-rule" data-rule={rule.id} className="align-top">
                      <td className="px-3 py-3">
                        <PostureBadge status={rule.status} />
                      </td>
                      <td className="px-3 py-3">
                        <div className="font-medium text-slate-900">{rule.title}</div>
                        <div className="font-mono text-xs text-slate-500">{rule.id}</div>
                      </td>
                      <td className="px-3 py-3 text-slate-700">
                        <p>{rule.summary}</p>
                        {rule.details.length > 0 ? (
                          <ul className="mt-1 list-disc space-y-0.5 pl-5 text-xs text-slate-600">
                            {rule.details.map((d) => (
                              <li key={d} className="break-all">
                                {d}
                              </li>
                            ))}
                          </ul>
                        ) : null}
                        <details className="mt-2" open={rule.status !== "pass"}>
                          <summary className="cursor-pointer text-xs font-medium text-brand-700">
                            Why it matters and how to fix it
                          </summary>
                          <p className="mt-1 text-xs text-slate-600">{rule.meaning}</p>
                          <p className="mt-1 text-xs text-slate-800" data-testid="posture-fix">
                            <span className="font-semibold">Fix: </span>
                            {rule.fix}
                          </p>
                        </details>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Card>
        );
      })}
    </>
  );
}
