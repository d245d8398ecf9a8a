import { createHash, randomBytes } from "node:crypto";
import type { Db } from "@/db";
import { recordAggregated } from "../audit/aggregate";
import type { ClientInfo, Principal } from "../auth/principal";
import type { Clock } from "../clock";
import { formatDuration } from "../config/duration";
import { AppError } from "../errors";
import { actorOf } from "../services/audit";
import { effectiveApiRule } from "../services/rate-limit-overrides";
import type { RateLimitConfig } from "./config";
import { noteStoreFailure, rateLimitMetrics } from "./metrics";
import {
  lockoutRule,
  type Policy,
  type PolicyName,
  policiesOf,
  procedureLimits,
  STORE_DOWN_RETRY_SECONDS,
} from "./policies";
import type { RateLimitRecord } from "./record";
import type { Rule } from "./rule";
import {
  type LimitStore,
  type Lock,
  type LockoutSubject,
  type RejectionCount,
  StoreTimeoutError,
  type WindowUse,
} from "./store";

/** What the procedure chain knows about one call. */
export interface CallInput {
  principal: Principal | null;
  /** The client IP as resolved through trusted proxies only (security/client-ip.ts); null when unknown. */
  ip: string | null;
  /** The procedure path, the same on both transports. */
  path: string;
  db: Db;
  clock: Clock;
  client: ClientInfo;
  record: RateLimitRecord;
}

export type SignInGate =
  /** The attempt holds its place; settle it with settleSignIn once the password was checked. */
  | { kind: "open"; subjects: LockoutSubject[]; attempt: string }
  | { kind: "locked"; retryAfterSeconds: number; newlyLocked: Lock[] }
  | { kind: "unavailable" };

/** Whole seconds until `at`, at least 1: a client told to retry earlier would only be refused again. */
export function secondsUntil(at: number, now = Date.now()): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}

/**
 * Which account a sign-in attempt is counted against: the user id when the
 * email belongs to a user, else a hash of the normalised email. An unknown
 * email is locked out exactly like a real account (so a lockout reveals
 * nothing), yet what someone typed — a password, sometimes — is never kept
 * in the store or shown on the dashboard.
 */
export function accountKeyOf(email: string, userId: string | null | undefined): string {
  if (userId) return userId;
  return `unknown:${createHash("sha256").update(email.trim().toLowerCase(), "utf8").digest("hex").slice(0, 32)}`;
}

export function accountSubject(accountKey: string): string {
  return `account:${accountKey}`;
}

/**
 * The rate limiter of one process: the policies (policies.ts) applied over a
 * store (Redis or embedded), with a short timeout on every store call and
 * each policy's fail-open/closed decision when the store cannot answer.
 * Never throws anything but the AppErrors it means (429, 503).
 */
export class RateLimiter {
  readonly policies: Record<PolicyName, Policy>;

  constructor(
    readonly store: LimitStore,
    readonly config: RateLimitConfig,
  ) {
    this.policies = policiesOf(config);
  }

  /**
   * The first step of every procedure. Authenticated calls count against
   * their principal (a session's user, or the API token) under `api`, with any
   * override; calls without a valid credential against their client IP under
   * `anon`. Sensitive procedures also count against their user under
   * `sensitive`. Throws TOO_MANY_REQUESTS (with retryAfterSeconds) or, for a
   * fail-closed policy whose store is down, SERVICE_UNAVAILABLE.
   */
  async checkCall(input: CallInput): Promise<void> {
    rateLimitMetrics.checks++;
    const { cost, sensitive } = procedureLimits(input.path);
    const principal = input.principal;
    if (!principal) {
      await this.take("anon", `ip:${input.ip ?? "unknown"}`, this.config.anon, cost, input);
      return;
    }
    const found = effectiveApiRule(
      input.db,
      { userId: principal.userId, tokenId: principal.kind === "token" ? principal.tokenId : null },
      input.clock.now(),
      this.config.api,
    );
    // Found at once unless a transaction held the connection: no turn of the event loop for nothing.
    const rule = found instanceof Promise ? await found : found;
    const subject =
      principal.kind === "token"
        ? `token:${principal.tokenId}`
        : principal.kind === "oauth"
          ? `oauth:${principal.clientId}:${principal.userId}`
          : `user:${principal.userId}`;
    await this.take("api", subject, rule, cost, input);
    // Per user, so that minting tokens with many tokens (or many sessions) gains nothing.
    if (sensitive) await this.take("sensitive", `user:${principal.userId}`, this.config.sensitive, 1, input);
  }

  /**
   * The OAuth endpoints (token, introspection, revocation) are not
   * procedures; they count per client IP under `oauth`, which fails closed:
   * a client secret or a code is never guessed at an unlimited rate.
   */
  async checkOAuthEndpoint(input: CallInput): Promise<void> {
    rateLimitMetrics.checks++;
    await this.take("oauth", `ip:${input.ip ?? "unknown"}`, this.policies.oauth.rule, 1, input);
  }

  private async take(policy: PolicyName, subject: string, rule: Rule, cost: number, input: CallInput): Promise<void> {
    let use: WindowUse;
    try {
      const answer = this.store.consume(`${policy}:${subject}`, rule, cost);
      // An answer given at once needs no timeout (nothing could have interrupted it) and no await.
      use = answer instanceof Promise ? await this.timed(answer) : answer;
    } catch (error) {
      const mode = this.policies[policy].onStoreFailure;
      noteStoreFailure(policy, mode, error);
      if (mode === "open") return;
      input.record.unavailable = policy;
      throw new AppError(
        "SERVICE_UNAVAILABLE",
        "Rate limiting is unavailable, so this operation is refused for now; retry shortly",
        "rate_limit_unavailable",
        { retryAfterSeconds: STORE_DOWN_RETRY_SECONDS },
      );
    }
    input.record.checks.push({
      policy,
      limit: rule.limit,
      windowMs: rule.windowMs,
      allowed: use.allowed,
      remaining: use.remaining,
      resetAt: use.resetAt,
    });
    if (use.allowed) return;

    rateLimitMetrics.rejected++;
    await this.noteRejection(policy, subject, rule, input);
    const retryAfterSeconds = secondsUntil(use.resetAt);
    throw new AppError(
      "TOO_MANY_REQUESTS",
      `Rate limit exceeded (policy "${policy}": ${rule.limit} per ${formatDuration(rule.windowMs)}); retry in ${retryAfterSeconds}s`,
      "rate_limited",
      { retryAfterSeconds },
    );
  }

  /**
   * Puts the refusal on the dashboard's board (in the store, so every process
   * sees it) and in the audit log, aggregated: one entry per caller, policy
   * and minute carrying the count (server/audit/aggregate.ts), so a flood of
   * 429s does not become a flood of writes. Best effort: neither changes the
   * answer.
   */
  private async noteRejection(policy: PolicyName, subject: string, rule: Rule, input: CallInput) {
    try {
      await recordAggregated(input.db, input.clock, {
        action: "ratelimit.rejected",
        actor: actorOf(input.principal),
        client: input.client,
        target: { type: "rate_limit_policy", id: policy },
        group: { policy, limit: rule.limit, window: formatDuration(rule.windowMs), procedure: input.path },
      });
      await this.timed(this.store.recordRejection(subject, Date.now()));
    } catch {
      // The board could not be written (the store is failing): the refusal stands.
    }
  }

  // ---------------------------------------------------------------- sign-in

  /** The lockout subjects of a sign-in attempt: the account (when an email was given) and the client IP. */
  signInSubjects(accountKey: string | null, ip: string | null): LockoutSubject[] {
    const subjects: LockoutSubject[] = [];
    if (accountKey) subjects.push({ subject: accountSubject(accountKey), rule: lockoutRule(this.config.signin) });
    subjects.push({ subject: `signin-ip:${ip ?? "unknown"}`, rule: lockoutRule(this.config.signinIp) });
    return subjects;
  }

  /**
   * Before a password is verified: the attempt takes a place for the account
   * and the IP (so parallel guesses cannot outrun the limit), or is refused
   * (locked, or as many attempts in flight as failures are left). Nothing is
   * counted as a failure here: only settleSignIn(…, "failure"), after the
   * password was checked and found wrong, counts one. Fails closed: a store
   * that cannot answer means no password is checked at all.
   */
  async reserveSignIn(accountKey: string | null, ip: string | null, now = Date.now()): Promise<SignInGate> {
    const subjects = this.signInSubjects(accountKey, ip);
    const attempt = randomBytes(12).toString("base64url");
    let reservation: Awaited<ReturnType<LimitStore["reserveAttempt"]>>;
    try {
      reservation = await this.timed(this.store.reserveAttempt(subjects, attempt, now));
    } catch (error) {
      noteStoreFailure("signin-account", "closed", error);
      // We stopped waiting, but the command may still run (a hung Redis runs what sits in its socket when
      // it resumes). It can only add a hold, never a failure; give that back too: sent on the same
      // connection, this runs right after it. If it is lost, the hold lapses by itself.
      if (error instanceof StoreTimeoutError) {
        this.store.settleAttempt(subjects, attempt, "abandoned", now).catch(() => {});
      }
      return { kind: "unavailable" };
    }
    if (reservation.ok) return { kind: "open", subjects, attempt };
    rateLimitMetrics.rejected++;
    const board = [accountKey ? accountSubject(accountKey) : null, `ip:${ip ?? "unknown"}`].filter(
      (s): s is string => s !== null,
    );
    await Promise.all(board.map((subject) => this.timed(this.store.recordRejection(subject, now)).catch(() => {})));
    return {
      kind: "locked",
      retryAfterSeconds: secondsUntil(reservation.lockedUntil, now),
      newlyLocked: reservation.newlyLocked,
    };
  }

  /**
   * After the password check: "failure" (the password was checked and is
   * wrong) counts a failure and may lock; "success" counts nothing. Either
   * ends the attempt's hold. Returns new locks.
   */
  async settleSignIn(
    gate: Extract<SignInGate, { kind: "open" }>,
    outcome: "success" | "failure",
    now = Date.now(),
  ): Promise<Lock[]> {
    try {
      return await this.timed(this.store.settleAttempt(gate.subjects, gate.attempt, outcome, now));
    } catch (error) {
      // A failure that could not be recorded is lost; its hold still lapses only after ATTEMPT_HOLD_MS,
      // and the next reservation meets the same store.
      noteStoreFailure("signin-account", "closed", error);
      return [];
    }
  }

  // ---------------------------------------------------------------- administration (may throw StoreUnavailableError)

  unlock(subject: string): Promise<boolean> {
    return this.timed(this.store.unlock(subject));
  }

  lockouts(max = 100, now = Date.now()): Promise<Lock[]> {
    return this.timed(this.store.listLocks(now, max));
  }

  locksOf(subjects: string[], now = Date.now()): Promise<Lock[]> {
    return this.timed(this.store.locksOf(subjects, now));
  }

  topRejections(sinceMs: number, max = 20, now = Date.now()): Promise<RejectionCount[]> {
    return this.timed(this.store.topRejections(now - sinceMs, now, max));
  }

  /** Whether the store answers within the timeout, and how fast. */
  async health(): Promise<{ ok: boolean; latencyMs: number | null }> {
    const started = performance.now();
    try {
      await this.timed(this.store.ping());
      return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
    } catch {
      return { ok: false, latencyMs: null };
    }
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /**
   * A store call bounded by RATE_LIMIT_TIMEOUT: a Redis that hangs costs a
   * request at most that long, then the policy's fail-open/closed applies.
   */
  private timed<T>(operation: Promise<T>): Promise<T> {
    operation.catch(() => {}); // a late failure after the timeout must not become an unhandled rejection
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreTimeoutError(`no answer within ${this.config.timeoutMs} ms`)),
        this.config.timeoutMs,
      );
    });
    return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
  }
}
