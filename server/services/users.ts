import { and, asc, count, desc, eq, gt, isNotNull, isNull, ne, or, type SQL, sql } from "drizzle-orm";
import type { Db, Executor } from "@/db";
import { type Role, sessions, type UserRow, users } from "@/db/schema";
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN, verifyPassword } from "../auth/password";
import { passwordWeakness } from "../auth/password-strength";
import type { Clock } from "../clock";
import { ConfigError } from "../config/env";
import { AppError, notFound } from "../errors";
import { newId } from "../ids";
import { recordAudit, SYSTEM_ACTOR } from "./audit";
import type { ServiceContext } from "./context";
import { decodeCursor, decodeSortedCursor, encodeSortedCursor, type SortOrder } from "./page-cursor";
import { endUserSessions } from "./sessions";

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface UserSummary {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  disabled: boolean;
  mustChangePassword: boolean;
  activeSessions: number;
  createdAt: string;
}

function toSummary(row: UserRow, activeSessions = 0): UserSummary {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    disabled: row.disabledAt !== null,
    mustChangePassword: row.mustChangePassword,
    activeSessions,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  return await db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(email)))
    .get();
}

export async function getUserRow(db: Executor, id: string): Promise<UserRow> {
  const row = await db.select().from(users).where(eq(users.id, id)).get();
  if (!row) throw notFound("User");
  return row;
}

export interface CreateUserInput {
  email: string;
  name?: string | null;
  role: Role;
  password: string;
  mustChangePassword?: boolean;
}

/**
 * OAuth clients allowed client_credentials act as a service account: a user
 * row under this reserved domain (RFC 2606 `.invalid`), with no password, so
 * it can never sign in. Nobody may create or give a password to such a user.
 */
export const SERVICE_ACCOUNT_DOMAIN = "clients.invalid";

export function isServiceAccount(email: string): boolean {
  return email.endsWith(`@${SERVICE_ACCOUNT_DOMAIN}`);
}

/**
 * The password policy, enforced here for every door (the procedures and the
 * CLI parse with passwordSchema first; the first admin's ADMIN_PASSWORD comes
 * straight here): the length, and never a common, breached or guessable one,
 * judged with this account's own words (its email and name) as an attacker
 * would try them first. `field` names the input in the 400.
 */
export function assertAcceptablePassword(field: string, password: string, account: readonly (string | null)[]): void {
  const length = password.length;
  if (length < PASSWORD_MIN || length > PASSWORD_MAX) {
    throw new AppError(
      "BAD_REQUEST",
      `${field}: must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters long`,
      "invalid_password",
    );
  }
  const weakness = passwordWeakness(
    password,
    account.filter((w): w is string => Boolean(w)),
  );
  if (weakness) throw new AppError("BAD_REQUEST", `${field}: ${weakness}`, "weak_password");
}

const serviceAccountRefusal = () =>
  new AppError("CONFLICT", "This is an OAuth client's service account: it has no password", "service_account");

export async function createUser(svc: ServiceContext, input: CreateUserInput): Promise<UserSummary> {
  const email = normalizeEmail(input.email);
  if (isServiceAccount(email)) throw serviceAccountRefusal();
  if (await findUserByEmail(svc.db, email))
    throw new AppError("CONFLICT", "A user with this email already exists", "email_taken");
  assertAcceptablePassword("password", input.password, [email, input.name ?? null]);
  const passwordHash = await hashPassword(input.password);
  const now = svc.clock.now();
  const row: UserRow = {
    id: newId("user"),
    email,
    name: input.name ?? null,
    role: input.role,
    passwordHash,
    mustChangePassword: input.mustChangePassword ?? false,
    disabledAt: null,
    passwordChangedAt: now,
    createdAt: now,
    updatedAt: now,
  };
  await svc.db.transaction(async (tx) => {
    // Checked again inside the transaction: the hash above took time.
    if (await findUserByEmail(tx, email))
      throw new AppError("CONFLICT", "A user with this email already exists", "email_taken");
    await tx.insert(users).values(row).run();
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "user.create",
      target: { type: "user", id: row.id },
      client: svc.client,
      detail: { email, role: row.role },
    });
  });
  return toSummary(row);
}

/** One user as the admin list shows it (active sessions counted now); another id is NOT_FOUND. */
export async function userSummaryOf(db: Executor, id: string, now: Date): Promise<UserSummary> {
  const row = await getUserRow(db, id);
  const active =
    (
      await db
        .select({ n: count() })
        .from(sessions)
        .where(and(eq(sessions.userId, id), gt(sessions.expiresAt, now)))
        .get()
    )?.n ?? 0;
  return toSummary(row, active);
}

export type UserStatus = "active" | "must_change_password" | "disabled";
export type UserSort = "email" | "createdAt" | "lastSignInAt";

export interface ListUsersInput {
  search?: string;
  role?: Role;
  status?: UserStatus;
  /** Default email ascending; the dates default to newest first. */
  sort?: UserSort;
  direction?: "asc" | "desc";
  /** Keyset cursor (services/page-cursor.ts): the page after this one, in the same order. */
  cursor?: string;
  /** The dashboard's numbered pager; not with `cursor`. */
  offset?: number;
  limit: number;
}

export interface ListedUser extends UserSummary {
  /** The newest `session.login` of the user in the audit log; null when none is on record. */
  lastSignInAt: string | null;
}

const USER_ID = /^usr_[0-9a-z]{20}$/;
/** Before sort orders existed a cursor was [email, id]: still honoured, as the email order it was made in. */
const LEGACY_USER_CURSOR = [/^.{1,320}$/s, USER_ID] as const;

// Qualified by hand: drizzle renders bare column names inside a subquery, where "id" would resolve to the inner table's.
const lastSignInMs = sql<number>`(select coalesce(max(a."at"), 0) from "audit_log" a where a."actor_id" = "users"."id" and a."action" = 'session.login')`;

/** Each sort's key: an expression, and the shape its cursor element must have. */
const SORT_KEYS = {
  email: { expr: sql`${users.email}`, shape: /^.{1,320}$/s },
  createdAt: { expr: sql`${users.createdAt}`, shape: "int" },
  lastSignInAt: { expr: lastSignInMs, shape: "int" },
} as const satisfies Record<UserSort, { expr: SQL; shape: RegExp | "int" }>;

function statusWhere(status: UserStatus): SQL | undefined {
  if (status === "disabled") return isNotNull(users.disabledAt);
  return and(isNull(users.disabledAt), eq(users.mustChangePassword, status === "must_change_password"));
}

/** The page after `key` in this order: a greater (or, descending, smaller) key, ties broken by id the same way. */
function after(order: SortOrder, expr: SQL, key: string | number, id: string): SQL {
  return order.direction === "asc"
    ? sql`(${expr} > ${key} or (${expr} = ${key} and ${users.id} > ${id}))`
    : sql`(${expr} < ${key} or (${expr} = ${key} and ${users.id} < ${id}))`;
}

function cursorKey(input: ListUsersInput, order: SortOrder): [string | number, string] | null {
  if (!input.cursor) return null;
  if (order.sort === "email" && order.direction === "asc") {
    try {
      return decodeCursor(input.cursor, LEGACY_USER_CURSOR) as [string, string];
    } catch {
      // Not the old shape: read as a cursor with its order below.
    }
  }
  return decodeSortedCursor(input.cursor, order, [SORT_KEYS[order.sort as UserSort].shape, USER_ID]) as [
    string | number,
    string,
  ];
}

/**
 * One page of users, filtered by search (email or name), role and status,
 * sorted by email, creation or last sign-in, keyset-paged in that order.
 */
export async function listUsers(
  db: Executor,
  input: ListUsersInput,
  now: Date,
): Promise<{ items: ListedUser[]; total: number; nextCursor: string | null }> {
  const sort = input.sort ?? "email";
  const order: SortOrder = { sort, direction: input.direction ?? (sort === "email" ? "asc" : "desc") };
  const key = SORT_KEYS[sort];
  const last = cursorKey(input, order);
  const pattern = input.search ? `%${input.search.replace(/[%_\\]/g, "\\$&")}%` : null;
  const where = and(
    pattern
      ? or(sql`${users.email} like ${pattern} escape '\\'`, sql`${users.name} like ${pattern} escape '\\'`)
      : undefined,
    input.role ? eq(users.role, input.role) : undefined,
    input.status ? statusWhere(input.status) : undefined,
  );
  const total = (await db.select({ n: count() }).from(users).where(where).get())?.n ?? 0;
  const direction = order.direction === "asc" ? asc : desc;
  const rows = await db
    .select({
      user: users,
      activeSessions: sql<number>`(select count(*) from "sessions" s where s."user_id" = "users"."id" and s."expires_at" > ${now.getTime()})`,
      lastSignIn: lastSignInMs,
    })
    .from(users)
    .where(and(where, last ? after(order, key.expr, last[0], last[1]) : undefined))
    .orderBy(direction(key.expr), direction(users.id))
    .limit(input.limit + 1)
    .offset(last ? 0 : (input.offset ?? 0))
    .all();
  const page = rows.slice(0, input.limit);
  const end = page.at(-1);
  const keyOf = (r: (typeof rows)[number]): string | number =>
    sort === "email" ? r.user.email : sort === "createdAt" ? r.user.createdAt.getTime() : r.lastSignIn;
  return {
    items: page.map((r) => ({
      ...toSummary(r.user, r.activeSessions),
      lastSignInAt: r.lastSignIn ? new Date(r.lastSignIn).toISOString() : null,
    })),
    total,
    nextCursor: rows.length > input.limit && end ? encodeSortedCursor(order, [keyOf(end), end.user.id]) : null,
  };
}

/** The last enabled admin can be neither disabled nor demoted: someone must be able to sign in and fix things. */
async function assertNotLastAdmin(tx: Executor, userId: string) {
  const others =
    (
      await tx
        .select({ n: count() })
        .from(users)
        .where(and(eq(users.role, "admin"), isNull(users.disabledAt), ne(users.id, userId)))
        .get()
    )?.n ?? 0;
  if (others === 0) {
    throw new AppError("CONFLICT", "This is the last active administrator; promote another user first", "last_admin");
  }
}

export async function setUserDisabled(svc: ServiceContext, userId: string, disabled: boolean): Promise<UserSummary> {
  return await svc.db.transaction(async (tx) => {
    const row = await getUserRow(tx, userId);
    if (disabled && row.role === "admin" && !row.disabledAt) await assertNotLastAdmin(tx, userId);
    const now = svc.clock.now();
    await tx
      .update(users)
      .set({ disabledAt: disabled ? (row.disabledAt ?? now) : null, updatedAt: now })
      .where(eq(users.id, userId))
      .run();
    // Disabling ends every session at once; the next request is refused.
    const ended = disabled ? await endUserSessions(tx, userId) : 0;
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: disabled ? "user.disable" : "user.enable",
      target: { type: "user", id: userId },
      client: svc.client,
      detail: disabled ? { sessionsEnded: ended } : undefined,
    });
    return toSummary(await getUserRow(tx, userId));
  });
}

export async function setUserRole(svc: ServiceContext, userId: string, role: Role): Promise<UserSummary> {
  return await svc.db.transaction(async (tx) => {
    const row = await getUserRow(tx, userId);
    if (row.role === role) return toSummary(row);
    if (row.role === "admin" && !row.disabledAt) await assertNotLastAdmin(tx, userId);
    await tx.update(users).set({ role, updatedAt: svc.clock.now() }).where(eq(users.id, userId)).run();
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "user.role_change",
      target: { type: "user", id: userId },
      client: svc.client,
      detail: { from: row.role, to: role },
    });
    return toSummary(await getUserRow(tx, userId));
  });
}

/** An admin (or the CLI) sets a new password: every session of the user ends. */
export async function setUserPassword(
  svc: ServiceContext,
  userId: string,
  password: string,
  opts: { mustChange?: boolean } = {},
): Promise<UserSummary> {
  const target = await getUserRow(svc.db, userId);
  if (isServiceAccount(target.email)) throw serviceAccountRefusal();
  assertAcceptablePassword("password", password, [target.email, target.name]);
  const passwordHash = await hashPassword(password);
  return svc.db.transaction(async (tx) => {
    const now = svc.clock.now();
    await tx
      .update(users)
      .set({ passwordHash, mustChangePassword: opts.mustChange ?? false, passwordChangedAt: now, updatedAt: now })
      .where(eq(users.id, userId))
      .run();
    const ended = await endUserSessions(tx, userId);
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "user.password_reset",
      target: { type: "user", id: userId },
      client: svc.client,
      detail: { sessionsEnded: ended },
    });
    return toSummary(await getUserRow(tx, userId));
  });
}

/** A user changes their own password: the current one is required, their other sessions end. */
export async function changeOwnPassword(
  svc: ServiceContext,
  userId: string,
  currentSessionId: string | null,
  currentPassword: string,
  newPassword: string,
): Promise<void> {
  const row = await getUserRow(svc.db, userId);
  if (!(await verifyPassword(row.passwordHash, currentPassword))) {
    await svc.db.transaction(async (tx) =>
      recordAudit(tx, svc.clock, {
        actor: svc.actor,
        action: "user.password_change",
        target: { type: "user", id: userId },
        outcome: "failure",
        client: svc.client,
        detail: { reason: "wrong_current_password" },
      }),
    );
    throw new AppError("BAD_REQUEST", "currentPassword: is not your current password", "wrong_password");
  }
  if (currentPassword === newPassword) {
    throw new AppError("BAD_REQUEST", "newPassword: must differ from the current password", "same_password");
  }
  assertAcceptablePassword("newPassword", newPassword, [row.email, row.name]);
  const passwordHash = await hashPassword(newPassword);
  await svc.db.transaction(async (tx) => {
    const now = svc.clock.now();
    await tx
      .update(users)
      .set({ passwordHash, mustChangePassword: false, passwordChangedAt: now, updatedAt: now })
      .where(eq(users.id, userId))
      .run();
    const ended = await endUserSessions(tx, userId, currentSessionId ?? undefined);
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "user.password_change",
      target: { type: "user", id: userId },
      client: svc.client,
      detail: { otherSessionsEnded: ended },
    });
  });
}

export async function endSessionsOfUser(svc: ServiceContext, userId: string, sessionId?: string): Promise<number> {
  return await svc.db.transaction(async (tx) => {
    await getUserRow(tx, userId);
    const where = sessionId
      ? and(eq(sessions.userId, userId), eq(sessions.id, sessionId))
      : eq(sessions.userId, userId);
    const ended = (await tx.delete(sessions).where(where).run()).changes;
    if (sessionId && ended === 0) throw notFound("Session");
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: sessionId ? "session.end" : "session.end_all",
      target: { type: "user", id: userId },
      client: svc.client,
      detail: { sessionsEnded: ended, ...(sessionId ? { sessionId } : {}) },
    });
    return ended;
  });
}

export async function countUsers(db: Executor): Promise<number> {
  return (await db.select({ n: count() }).from(users).get())?.n ?? 0;
}

export type BootstrapResult = { created: false } | { created: true; email: string; oneTimePassword: string | null };

/**
 * First start with no users: create the first admin from ADMIN_EMAIL and
 * ADMIN_PASSWORD, or with a random one-time password that must be changed at
 * first sign-in. There is never a well-known default password.
 */
export async function bootstrapAdmin(
  db: Db,
  clock: Clock,
  admin: { email: string; password: string } | null,
): Promise<BootstrapResult> {
  if ((await countUsers(db)) > 0) return { created: false };
  const email = admin?.email ?? "admin@localhost";
  const oneTimePassword = admin ? null : randomPassword();
  const svc: ServiceContext = {
    db,
    clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "bootstrap" },
  };
  try {
    await createUser(svc, {
      email,
      role: "admin",
      password: admin?.password ?? (oneTimePassword as string),
      mustChangePassword: oneTimePassword !== null,
      name: "Administrator",
    });
  } catch (error) {
    // Another process bootstrapped at the same moment.
    if (error instanceof AppError && error.code === "CONFLICT") return { created: false };
    // The policy holds for the first admin too: a guessable ADMIN_PASSWORD stops the start, saying why.
    if (error instanceof AppError && (error.reason === "weak_password" || error.reason === "invalid_password")) {
      throw new ConfigError(
        `ADMIN_PASSWORD ${error.message.replace(/^password: /, "").replace(/\.$/, "")}; choose another`,
      );
    }
    throw error;
  }
  return { created: true, email, oneTimePassword };
}

function randomPassword(): string {
  // 20 characters from a 56-symbol alphabet without look-alikes (~116 bits),
  // drawn by rejection sampling so that every symbol is equally likely.
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < 20) {
    for (const byte of crypto.getRandomValues(new Uint8Array(32))) {
      if (byte < limit && out.length < 20) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}
