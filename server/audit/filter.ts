import { and, eq, gte, lte, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { auditLog, OUTCOMES, type Outcome } from "@/db/schema";
import { LIMITS } from "@/db/schema/columns";

/**
 * The Audit page's filters, shared by the list, the export (dashboard route
 * and CLI) and the benchmark. Every filter maps to an index that ends in
 * `seq` (see db/schema/audit-log.ts), so a page is a keyset range scan in
 * seq order whichever filter is used; the full-text filter goes through the
 * FTS5 table `audit_search`.
 */
export interface AuditFilter {
  actorId?: string;
  /** An exact action (`contact.delete`) or a whole area (`contact.`). */
  action?: string;
  targetId?: string;
  outcome?: Outcome;
  ip?: string;
  requestId?: string;
  since?: Date;
  until?: Date;
  /** Words to find in the detail (full-text). */
  text?: string;
}

const ACTION = /^[a-z][a-z0-9_]*\.([a-z0-9_]+)?$/;

/**
 * The filter as it arrives from a client (tRPC input, or the export route's
 * query string): strings only, every one bounded, unknown keys refused.
 */
export const auditFilterInput = z.strictObject({
  actorId: z.string().trim().max(64).optional(),
  action: z
    .string()
    .trim()
    .max(LIMITS.auditAction)
    .regex(ACTION, "must be an action like contact.delete or an area like contact.")
    .optional(),
  targetId: z.string().trim().max(LIMITS.auditTarget).optional(),
  outcome: z.enum(OUTCOMES).optional(),
  ip: z.string().trim().max(LIMITS.ip).optional(),
  requestId: z.string().trim().max(64).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  text: z.string().trim().max(200).optional(),
});
export type AuditFilterInput = z.infer<typeof auditFilterInput>;

/** From the validated client form to the query form; empty strings mean "no filter". */
export function toAuditFilter(input: AuditFilterInput): AuditFilter {
  const text = (value: string | undefined) => (value ? value : undefined);
  return {
    actorId: text(input.actorId),
    action: text(input.action),
    targetId: text(input.targetId),
    outcome: input.outcome,
    ip: text(input.ip),
    requestId: text(input.requestId),
    since: input.since ? new Date(input.since) : undefined,
    until: input.until ? new Date(input.until) : undefined,
    text: text(input.text),
  };
}

/**
 * Free text -> an FTS5 query that cannot be anything but a search: each word
 * becomes a quoted phrase of its letter/digit runs (so `ada@example.com`
 * finds the phrase "ada example com", and `usr_abc` the phrase "usr abc"),
 * the last term of each may be a prefix, and all words must match. No FTS
 * syntax (NEAR, column filters, parentheses, quotes) survives. Null when
 * nothing searchable is left.
 */
export function ftsQuery(text: string): string | null {
  const phrases: string[] = [];
  for (const word of text.normalize("NFKC").split(/\s+/).slice(0, 8)) {
    const tokens = word
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean)
      .slice(0, 12);
    if (tokens.length === 0) continue;
    // A prefix on a one- or two-letter term would expand to half the index.
    const prefix = (tokens.at(-1) ?? "").length >= 3 ? " *" : "";
    phrases.push(`"${tokens.join(" ")}"${prefix}`);
  }
  return phrases.length > 0 ? phrases.join(" AND ") : null;
}

export function auditConditions(filter: AuditFilter): SQL[] {
  const where: SQL[] = [];
  if (filter.actorId) where.push(eq(auditLog.actorId, filter.actorId));
  if (filter.action) {
    where.push(
      filter.action.endsWith(".") ? eq(auditLog.area, filter.action.slice(0, -1)) : eq(auditLog.action, filter.action),
    );
  }
  if (filter.targetId) where.push(eq(auditLog.targetId, filter.targetId));
  if (filter.outcome) where.push(eq(auditLog.outcome, filter.outcome));
  if (filter.ip) where.push(eq(auditLog.ip, filter.ip));
  if (filter.requestId) where.push(eq(auditLog.requestId, filter.requestId));
  if (filter.since) where.push(gte(auditLog.at, filter.since));
  if (filter.until) where.push(lte(auditLog.at, filter.until));
  if (filter.text !== undefined) {
    const match = ftsQuery(filter.text);
    // Nothing searchable in the text: match nothing rather than everything.
    where.push(
      match === null
        ? sql`0`
        : sql`${auditLog.seq} in (select rowid from audit_search where audit_search match ${match})`,
    );
  }
  return where;
}

export function auditWhere(filter: AuditFilter, extra: SQL[] = []): SQL | undefined {
  return and(...auditConditions(filter), ...extra);
}
