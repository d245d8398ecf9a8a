/**
 * The posture check's vocabulary (`gatehouse check`, `/admin/posture`,
 * `admin.posture.get`). A rule looks at facts gathered once (facts.ts) and
 * answers pass, warn or fail with what it found; what the rule means and how
 * to fix it are fixed text that goes with the rule, so the CLI, the page and
 * docs/posture.md say the same thing.
 */

export const POSTURE_STATUSES = ["pass", "warn", "fail"] as const;
export type PostureStatus = (typeof POSTURE_STATUSES)[number];

export const POSTURE_GROUPS = ["transport", "secrets", "keys", "access", "operations"] as const;
export type PostureGroup = (typeof POSTURE_GROUPS)[number];

export const GROUP_TITLES: Record<PostureGroup, string> = {
  transport: "Transport",
  secrets: "Secrets and data folder",
  keys: "Keys",
  access: "Access",
  operations: "Operations",
};

/** What one rule found: its verdict, one sentence, and the specifics (names, counts, paths — never a secret). */
export interface Finding {
  status: PostureStatus;
  summary: string;
  details?: string[];
}

export interface PostureRule<F> {
  /** Stable, dotted, e.g. `transport.https`: scripts may match on it. */
  id: string;
  group: PostureGroup;
  title: string;
  /** Why the rule exists: what is at stake when it fails. */
  meaning: string;
  /** What to do about a warn or a fail. */
  fix: string;
  evaluate(facts: F): Finding;
}

export interface PostureResult {
  id: string;
  group: PostureGroup;
  title: string;
  status: PostureStatus;
  summary: string;
  details: string[];
  meaning: string;
  fix: string;
}

export interface PostureReport {
  generatedAt: string;
  counts: Record<PostureStatus, number>;
  /** The worst status of any rule: fail > warn > pass. */
  overall: PostureStatus;
  results: PostureResult[];
}
