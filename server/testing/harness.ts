import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { type Db, openDatabase } from "@/db";
import type { Role } from "@/db/schema";
import type { Principal, SessionPrincipal } from "../auth/principal";
import { ROLE_SCOPES } from "../auth/scopes";
import { mustEnrolSecondFactor } from "../auth/second-factor-gate";
import { fixedClock } from "../clock";
import type { Config } from "../config";
import { createContextInner } from "../context";
import { newKeySetEntry } from "../crypto/key-set";
import { type Keyring, staticKeyring } from "../crypto/keyring";
import { appErrorOf } from "../errors";
import { createCaller } from "../root";
import type { Runtime } from "../runtime";
import { SYSTEM_ACTOR } from "../services/audit";
import { confirmTotpEnrolment, markSessionChecked, startTotpEnrolment } from "../services/second-factors";
import { TOTP_PERIOD_SECONDS, totpCodeAt } from "../services/second-factors-totp";
import { createSession } from "../services/sessions";
import { createUser } from "../services/users";

/**
 * A fresh Gatehouse on an in-memory SQLite database with the real
 * migrations, for router, service and REST tests. Nothing is shared with a
 * developer's data folder.
 */
export function createTestRuntime(overrides: Partial<Config> = {}): Runtime & { clock: ReturnType<typeof fixedClock> } {
  const clock = fixedClock(Date.UTC(2026, 0, 15, 12, 0, 0));
  const config: Config = {
    port: 3000,
    dataDir: "/nonexistent",
    databaseFile: ":memory:",
    appUrl: new URL("http://localhost:3000"),
    secure: false,
    authSecret: "test-secret-test-secret-test-secret-0123456789",
    admin: null,
    logLevel: "silent",
    session: { idleMs: 30 * 60_000, absoluteMs: 8 * 3_600_000 },
    trustedProxies: [],
    maxBodyBytes: 1024 * 1024,
    ...overrides,
  };
  return { config, db: openTestDatabase(), clock, trustedProxies: [], keyring: testKeyring() };
}

/**
 * A fresh, empty, migrated database: in-memory SQLite, or — when
 * TEST_DATABASE_URL names a PostgreSQL database (.ci/run makes one per run) —
 * a schema of its own in that database, so that the same tests run against
 * both stores.
 */
export function openTestDatabase(): Db {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return openDatabase(":memory:");
  return openDatabase(url, { schema: `t_${randomBytes(6).toString("hex")}`, max: 4, idleMs: 1_000 });
}

/** Whether the tests run against PostgreSQL (TEST_DATABASE_URL), for the few that check what only SQLite does. */
export const ON_POSTGRES = Boolean(process.env.TEST_DATABASE_URL);

export type TestRuntime = ReturnType<typeof createTestRuntime>;

/** A fresh in-memory keyring with one random key (id k1), as a first start would generate. */
export function testKeyring(): Keyring {
  return staticKeyring({ activeKeyId: "k1", keys: [newKeySetEntry("k1", new Date(0))] }, "memory");
}

export interface SeedOptions {
  /**
   * Enrol a TOTP factor (through the real enrolment) and mark the seeded
   * session as having passed it just now, as a sign-in with a code would.
   * Default: for admins, who need one under ADMIN_2FA=required (the default).
   */
  secondFactor?: boolean;
}

/**
 * A user and a session of theirs. An admin comes with a confirmed TOTP
 * factor (its secret in `totpSecret`, for codes: totpCodeAt) and a session
 * that passed it at seed time, so the admin gate and step-up (ten minutes)
 * pass as for a real admin who just signed in; pass `{ secondFactor: false }`
 * for one without.
 */
export async function seedUser(
  runtime: Runtime,
  email: string,
  role: Role = "member",
  password = "correct horse battery",
  options: SeedOptions = {},
) {
  const client = { ip: null, userAgent: null, requestId: "seed" };
  const svc = { db: runtime.db, clock: runtime.clock, actor: SYSTEM_ACTOR, client, keyring: runtime.keyring };
  const user = await createUser(svc, { email, role, password });
  const withFactor = options.secondFactor ?? role === "admin";
  let totpSecret: string | null = null;
  let recoveryCodes: string[] = [];
  if (withFactor) {
    const started = await startTotpEnrolment(svc, user);
    totpSecret = started.secret;
    recoveryCodes =
      (
        await confirmTotpEnrolment(
          svc,
          user.id,
          started.factorId,
          totpCodeAt(started.secret, runtime.clock.now().getTime()),
        )
      ).recoveryCodes ?? [];
  }
  const session = await runtime.db.transaction(async (tx) => {
    const row = await createSession(tx, runtime.clock, runtime.config.session, user.id, client);
    if (withFactor) await markSessionChecked(tx, runtime.clock, row.id);
    return row;
  });
  const principal: SessionPrincipal = {
    kind: "session",
    userId: user.id,
    email: user.email,
    role,
    scopes: ROLE_SCOPES[role],
    sessionId: session.id,
    mustChangePassword: false,
    mustEnrolSecondFactor: await mustEnrolSecondFactor(runtime.db, runtime.config, { id: user.id, role }),
  };
  return { user, session, principal, password, totpSecret, recoveryCodes };
}

/**
 * A TOTP code the server has not accepted yet: the clock (a test runtime's
 * fixed one) moves on one step first, since each step's code is taken once.
 */
export function nextTotpCode(runtime: TestRuntime, secret: string): string {
  runtime.clock.advance(TOTP_PERIOD_SECONDS * 1000);
  return totpCodeAt(secret, runtime.clock.now().getTime());
}

/** A tRPC caller acting as the given principal (or anonymously). */
export function callerFor(runtime: Runtime, principal: Principal | null) {
  return createCaller(
    createContextInner({ db: runtime.db, clock: runtime.clock, principal, keyring: runtime.keyring }),
  );
}

/** The tRPC error code a call ends with, or "OK": for asserting refusals in one line. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
  return "OK";
}

/** Like codeOf, with the AppError reason when there is one ("FORBIDDEN:admin_required"). */
export async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCError) {
      const reason = appErrorOf(error)?.reason;
      return reason ? `${error.code}:${reason}` : error.code;
    }
    throw error;
  }
  return "OK";
}

/**
 * Rows of a plain SQL read (`?` placeholders), on either store: for tests that look at what is
 * stored, past the services.
 */
export async function storedRows<T = Record<string, unknown>>(
  db: Db,
  text: string,
  ...params: unknown[]
): Promise<T[]> {
  const parts = text.split("?");
  if (parts.length - 1 !== params.length)
    throw new Error(`${params.length} values for ${parts.length - 1} placeholders`);
  const chunks = parts.flatMap((part, i) => (i < params.length ? [sql.raw(part), sql`${params[i]}`] : [sql.raw(part)]));
  return await db.all<T>(sql.join(chunks, sql``));
}
