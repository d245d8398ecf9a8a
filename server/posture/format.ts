import { oneLine, table } from "../cli/output";
import { GROUP_TITLES, POSTURE_GROUPS, type PostureReport, type PostureStatus } from "./types";

const LABEL: Record<PostureStatus, string> = { pass: "PASS", warn: "WARN", fail: "FAIL" };

/**
 * The report for a terminal: one table per group (status, rule, what was
 * found), then, for every rule that did not pass, its details and the fix,
 * and a last line with the counts and what the exit code will be.
 */
export function formatPostureText(report: PostureReport): string {
  const sections: string[] = [];
  for (const group of POSTURE_GROUPS) {
    const rows = report.results.filter((r) => r.group === group);
    if (rows.length === 0) continue;
    sections.push(
      `${GROUP_TITLES[group]}\n${table(rows, [
        { header: "STATUS", value: (r) => LABEL[r.status] },
        { header: "RULE", value: (r) => r.id },
        { header: "FOUND", value: (r) => r.summary },
      ])}`,
    );
  }
  const attention = report.results.filter((r) => r.status !== "pass");
  if (attention.length > 0) {
    const notes = attention.map((r) =>
      [
        `${LABEL[r.status]} ${r.id}: ${r.title}`,
        ...r.details.map((d) => `  - ${oneLine(d)}`),
        `  Why: ${r.meaning}`,
        `  Fix: ${r.fix}`,
      ].join("\n"),
    );
    sections.push(`To look at\n\n${notes.join("\n\n")}`);
  }
  const { pass, warn, fail } = report.counts;
  sections.push(
    `${pass} passed, ${warn} ${warn === 1 ? "warning" : "warnings"}, ${fail} failed${fail > 0 ? " (exit code 1)" : ""}.`,
  );
  return sections.join("\n\n");
}
