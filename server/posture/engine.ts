import type { PostureFacts } from "./facts";
import { adminSecondFactor, corsOrigins, tokenHygiene } from "./rules/access";
import { fieldKeyAge, signingKeyAge } from "./rules/keys";
import { auditHeadRecorded, auditRetention, rateLimitStore, recentBackup } from "./rules/operations";
import { dataFolderModes, secretSources } from "./rules/secrets";
import { httpsAppUrl, trustedProxies } from "./rules/transport";
import {
  POSTURE_STATUSES,
  type PostureReport,
  type PostureResult,
  type PostureRule,
  type PostureStatus,
} from "./types";

/** Every rule, in the order the CLI, the page and docs/posture.md show them (grouped). */
export const POSTURE_RULES: readonly PostureRule<PostureFacts>[] = [
  httpsAppUrl,
  trustedProxies,
  secretSources,
  dataFolderModes,
  fieldKeyAge,
  signingKeyAge,
  adminSecondFactor,
  tokenHygiene,
  corsOrigins,
  rateLimitStore,
  auditRetention,
  recentBackup,
  auditHeadRecorded,
];

const RANK: Record<PostureStatus, number> = { pass: 0, warn: 1, fail: 2 };

export function worst(statuses: Iterable<PostureStatus>): PostureStatus {
  let result: PostureStatus = "pass";
  for (const s of statuses) if (RANK[s] > RANK[result]) result = s;
  return result;
}

/**
 * Runs every rule over the facts. A rule that throws is reported as a fail
 * naming the rule (a check that cannot tell must not look like a pass), and
 * the others still run.
 */
export function evaluatePosture(facts: PostureFacts, rules = POSTURE_RULES): PostureReport {
  const results: PostureResult[] = rules.map((rule) => {
    let finding: ReturnType<typeof rule.evaluate>;
    try {
      finding = rule.evaluate(facts);
    } catch (error) {
      finding = {
        status: "fail",
        summary: `This rule could not be evaluated (${error instanceof Error ? error.name : "error"}).`,
      };
    }
    return {
      id: rule.id,
      group: rule.group,
      title: rule.title,
      status: finding.status,
      summary: finding.summary,
      details: finding.details ?? [],
      meaning: rule.meaning,
      fix: rule.fix,
    };
  });
  const counts = Object.fromEntries(POSTURE_STATUSES.map((s) => [s, 0])) as Record<PostureStatus, number>;
  for (const r of results) counts[r.status] += 1;
  return {
    generatedAt: facts.now.toISOString(),
    counts,
    overall: worst(results.map((r) => r.status)),
    results,
  };
}
