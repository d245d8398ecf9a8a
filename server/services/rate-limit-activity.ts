import { eq, inArray } from "drizzle-orm";
import type { Executor } from "@/db";
import { apiTokens, users } from "@/db/schema";
import { AppError } from "../errors";
import { accountKeyOf, accountSubject, type RateLimiter } from "../ratelimit/limiter";
import { recordAudit } from "./audit";
import type { ServiceContext } from "./context";
import { findUserByEmail, normalizeEmail } from "./users";

/**
 * What the dashboard and the CLI show and do about who is being limited:
 * lockouts (and clearing them) and the top rejected principals and IPs.
 * The state lives in the rate-limit store; these functions label it from the
 * database (emails for user ids, names for tokens) and audit every unlock.
 */

export type SubjectKind = "user" | "token" | "ip" | "account";

export interface LabelledSubject {
  subject: string;
  kind: SubjectKind;
  /** An email, a token's name and owner, an IP, or "unknown account". */
  label: string;
  /** The user or token id behind it, when there is one. */
  id: string | null;
}

/** Store subjects: `user:usr_…`, `token:tok_…`, `ip:…`, `account:usr_…`, `account:unknown:<hash>`, `signin-ip:…`. */
export async function labelSubjects(db: Executor, subjects: readonly string[]): Promise<Map<string, LabelledSubject>> {
  const userIds = new Set<string>();
  const tokenIds = new Set<string>();
  for (const s of subjects) {
    if (s.startsWith("user:")) userIds.add(s.slice(5));
    else if (s.startsWith("account:usr_")) userIds.add(s.slice(8));
    else if (s.startsWith("token:")) tokenIds.add(s.slice(6));
  }
  const emails = new Map(
    userIds.size > 0
      ? (
          await db
            .select({ id: users.id, email: users.email })
            .from(users)
            .where(inArray(users.id, [...userIds]))
            .all()
        ).map((u) => [u.id, u.email] as const)
      : [],
  );
  const tokens = new Map(
    tokenIds.size > 0
      ? (
          await db
            .select({ id: apiTokens.id, name: apiTokens.name, display: apiTokens.display, email: users.email })
            .from(apiTokens)
            .innerJoin(users, eq(users.id, apiTokens.userId))
            .where(inArray(apiTokens.id, [...tokenIds]))
            .all()
        ).map((t) => [t.id, `${t.name} (${t.display}, ${t.email})`] as const)
      : [],
  );
  const out = new Map<string, LabelledSubject>();
  for (const subject of subjects) {
    const [head, ...rest] = subject.split(":");
    const tail = rest.join(":");
    let entry: LabelledSubject;
    if (head === "user") entry = { subject, kind: "user", id: tail, label: emails.get(tail) ?? tail };
    else if (head === "token") entry = { subject, kind: "token", id: tail, label: tokens.get(tail) ?? tail };
    else if (head === "ip" || head === "signin-ip") entry = { subject, kind: "ip", id: null, label: tail };
    else if (tail.startsWith("usr_")) entry = { subject, kind: "account", id: tail, label: emails.get(tail) ?? tail };
    else entry = { subject, kind: "account", id: null, label: "unknown account (no such user)" };
    out.set(subject, entry);
  }
  return out;
}

/** Any failure of the store (down, slow: StoreUnavailableError, or refusing) is a 503 here, never a 500. */
function unavailable(_error: unknown): never {
  throw new AppError(
    "SERVICE_UNAVAILABLE",
    "The rate-limit store does not answer; retry shortly",
    "rate_limit_unavailable",
  );
}

export interface LockoutView extends LabelledSubject {
  lockedUntil: string;
  level: number;
}

export async function listLockouts(db: Executor, limiter: RateLimiter, max = 100): Promise<LockoutView[]> {
  const locks = await limiter.lockouts(max).catch(unavailable);
  const labels = await labelSubjects(
    db,
    locks.map((l) => l.subject),
  );
  return locks.map((l) => ({
    ...(labels.get(l.subject) as LabelledSubject),
    lockedUntil: new Date(l.lockedUntil).toISOString(),
    level: l.level,
  }));
}

export interface RejectionView extends LabelledSubject {
  count: number;
}

export async function topRejected(
  db: Executor,
  limiter: RateLimiter,
  sinceMs: number,
  max = 20,
): Promise<RejectionView[]> {
  const rows = await limiter.topRejections(sinceMs, max).catch(unavailable);
  const labels = await labelSubjects(
    db,
    rows.map((r) => r.subject),
  );
  return rows.map((r) => ({ ...(labels.get(r.subject) as LabelledSubject), count: r.count }));
}

/** The sign-in lockout subject of an email, whether or not a user has it (see accountKeyOf). */
export async function accountSubjectOf(db: Executor, email: string): Promise<string> {
  const normalized = normalizeEmail(email);
  return accountSubject(accountKeyOf(normalized, (await findUserByEmail(db, normalized))?.id));
}

/**
 * Clears a sign-in lockout (and the failures and escalation behind it) for an
 * account or a client IP, and audits it. Returns whether there was anything
 * to clear; clearing nothing is not an error, and is audited all the same
 * (someone believed there was a lock).
 */
export async function clearLockout(
  svc: ServiceContext,
  limiter: RateLimiter,
  target: { email: string } | { subject: string },
): Promise<{ cleared: boolean; subject: string }> {
  const subject = await ("email" in target ? accountSubjectOf(svc.db, target.email) : target.subject);
  if (
    !/^(account:(usr_[0-9a-z]{20}|unknown:[0-9a-f]{32})|signin-ip:[0-9a-fA-F.:]{2,45}|signin-ip:unknown)$/.test(subject)
  ) {
    throw new AppError("BAD_REQUEST", "subject: not a sign-in lockout", "invalid_input");
  }
  const cleared = await limiter.unlock(subject).catch(unavailable);
  const label = (await labelSubjects(svc.db, [subject])).get(subject) as LabelledSubject;
  await svc.db.transaction(async (tx) =>
    recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "ratelimit.unlock",
      target: label.kind === "ip" ? { type: "ip", id: label.label } : { type: "user", id: label.id },
      client: svc.client,
      detail: {
        cleared,
        ...(label.kind === "account" ? { email: "email" in target ? normalizeEmail(target.email) : label.label } : {}),
      },
    }),
  );
  return { cleared, subject };
}
