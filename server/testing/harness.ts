import { TRPCError } from "@trpc/server";
import { openDatabase } from "@/db";
import type { Role } from "@/db/schema";
import type { Principal } from "../auth/principal";
import { ROLE_SCOPES } from "../auth/scopes";
import { fixedClock } from "../clock";
import type { Config } from "../config";
import { createContextInner } from "../context";
import { newKeySetEntry } from "../crypto/key-set";
import { type Keyring, staticKeyring } from "../crypto/keyring";
import { appErrorOf } from "../errors";
import { createCaller } from "../root";
import type { Runtime } from "../runtime";
import { SYSTEM_ACTOR } from "../services/audit";
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
  return { config, db: openDatabase(":memory:"), clock, trustedProxies: [], keyring: testKeyring() };
}

export type TestRuntime = ReturnType<typeof createTestRuntime>;

/** A fresh in-memory keyring with one random key (id k1), as a first start would generate. */
export function testKeyring(): Keyring {
  return staticKeyring({ activeKeyId: "k1", keys: [newKeySetEntry("k1", new Date(0))] }, "memory");
}

export async function seedUser(
  runtime: Runtime,
  email: string,
  role: Role = "member",
  password = "correct horse battery",
) {
  const user = await createUser(
    {
      db: runtime.db,
      clock: runtime.clock,
      actor: SYSTEM_ACTOR,
      client: { ip: null, userAgent: null, requestId: "seed" },
    },
    { email, role, password },
  );
  const session = runtime.db.transaction((tx) =>
    createSession(tx, runtime.clock, runtime.config.session, user.id, { ip: null, userAgent: null, requestId: "seed" }),
  );
  const principal: Principal = {
    kind: "session",
    userId: user.id,
    email: user.email,
    role,
    scopes: ROLE_SCOPES[role],
    sessionId: session.id,
    mustChangePassword: false,
  };
  return { user, session, principal, password };
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
