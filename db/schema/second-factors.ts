import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp } from "./columns";
import { sealedText } from "./sealed-text";
import { users } from "./users";

export const SECOND_FACTOR_KINDS = ["totp", "passkey"] as const;
export type SecondFactorKind = (typeof SECOND_FACTOR_KINDS)[number];

/**
 * A user's second factors (server/services/second-factors.ts). A TOTP row
 * holds its secret sealed (bound to this table, column and row id) and the
 * last time step a code was accepted for, so a code is refused again for as
 * long as it would still be valid. A TOTP row with no `confirmed_at` is an
 * enrolment that has not been confirmed with a first code yet: it counts for
 * nothing (not at sign-in, not for the admin gate). A passkey row holds a
 * WebAuthn credential: its id, public key (COSE, base64url) and signature
 * counter; it is confirmed when it is stored.
 */
export const secondFactors = sqliteTable(
  "second_factors",
  {
    id: text("id").primaryKey(), // sfa_…
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: SECOND_FACTOR_KINDS }).notNull(),
    /** What the person calls it ("Authenticator app", "YubiKey"): shown on the account page. */
    label: text("label").notNull(),
    createdAt: createdAt(),
    confirmedAt: timestamp("confirmed_at"),
    lastUsedAt: timestamp("last_used_at"),
    /** TOTP only: the base32 secret, sealed. */
    totpSecret: sealedText("totp_secret"),
    /** TOTP only: the time step (unix time / 30 s) of the last accepted code; codes of this step or earlier are refused. */
    totpLastStep: integer("totp_last_step"),
    /** Passkey only: the credential id (base64url), unique over all users. */
    credentialId: text("credential_id"),
    /** Passkey only: the credential's COSE public key, base64url. */
    publicKey: text("public_key"),
    /** Passkey only: the authenticator's signature counter as last seen. */
    signCount: integer("sign_count"),
    /** Passkey only: transports the authenticator reported (JSON array of strings). */
    transports: text("transports", { mode: "json" }).$type<string[]>(),
  },
  (t) => [
    index("second_factors_user_idx").on(t.userId, t.kind),
    uniqueIndex("second_factors_credential_unique").on(t.credentialId),
  ],
);

export type SecondFactorRow = typeof secondFactors.$inferSelect;

/**
 * One-time recovery codes: ten per set, shown once, stored as SHA-256 of the
 * normalised code only (they are random, 50 bits each, so a fast hash is
 * enough, like API tokens). A used code keeps its row with `used_at`, so the
 * account page can say how many are left; a new set deletes the old one.
 */
export const recoveryCodes = sqliteTable(
  "recovery_codes",
  {
    id: text("id").primaryKey(), // rcv_…
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    createdAt: createdAt(),
    usedAt: timestamp("used_at"),
  },
  (t) => [uniqueIndex("recovery_codes_user_hash_unique").on(t.userId, t.codeHash)],
);

export type RecoveryCodeRow = typeof recoveryCodes.$inferSelect;

/**
 * A sign-in halfway through: the password was right, the second factor is
 * still to come. The browser holds the handle (an HttpOnly cookie); only its
 * SHA-256 is stored. Short-lived, single use (deleted when redeemed), and it
 * dies after a few wrong codes, so a stolen password plus a stolen handle
 * still gives only those few guesses — each also counted by the account's
 * sign-in lockout. `challenge` is the WebAuthn challenge for a passkey
 * answer, when one was asked for.
 */
export const pendingSignIns = sqliteTable(
  "pending_sign_ins",
  {
    id: text("id").primaryKey(), // psi_…
    handleHash: text("handle_hash").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at").notNull(),
    failures: integer("failures").notNull().default(0),
    challenge: text("challenge"),
  },
  (t) => [
    uniqueIndex("pending_sign_ins_handle_unique").on(t.handleHash),
    index("pending_sign_ins_user_idx").on(t.userId),
  ],
);

export type PendingSignInRow = typeof pendingSignIns.$inferSelect;

/**
 * A WebAuthn registration under way on the account page: the challenge the
 * server issued to this session, valid for a few minutes, used once.
 */
export const webauthnChallenges = sqliteTable(
  "webauthn_challenges",
  {
    id: text("id").primaryKey(), // wch_…
    sessionId: text("session_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    challenge: text("challenge").notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at").notNull(),
  },
  (t) => [index("webauthn_challenges_session_idx").on(t.sessionId)],
);
