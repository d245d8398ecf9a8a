import { generateKeyPairSync } from "node:crypto";
import { desc, eq, gt, isNull, lt, or } from "drizzle-orm";
import { importJWK, type JWK } from "jose";
import type { Db, Executor } from "@/db";
import { type OAuthSigningKeyRow, oauthSigningKeys } from "@/db/schema";
import type { ClientInfo } from "../auth/principal";
import type { Clock } from "../clock";
import { DecryptionError, open, seal } from "../crypto/envelope";
import type { Keyring } from "../crypto/keyring";
import { newId } from "../ids";
import { getLogger } from "../logger";
import { METRICS } from "../observability/metrics";
import { type Actor, recordAudit } from "../services/audit";
import { reportDecryptionFailure } from "../services/contact-codec";

/**
 * The keys that sign access tokens: ES256 (ECDSA P-256), generated here,
 * their private half sealed with the data-encryption keyring and bound to
 * this table, column and kid (server/crypto/envelope.ts).
 *
 * - One key signs at a time. It is replaced when it is older than
 *   SIGNING_KEY_ROTATION_MS (checked whenever a token is signed) or on
 *   demand (`gatehouse oauth-keys rotate`, the OAuth clients page).
 * - A replaced key stays in the JWKS, and keeps verifying, until every
 *   token it can have signed has expired (MAX_ACCESS_TOKEN_TTL_S after it
 *   stopped signing, plus the clock tolerance); then it is gone.
 * - Several processes share the table: rotation runs in a write transaction
 *   that re-reads the active key first, so two processes never both rotate;
 *   a process meeting a kid it does not hold re-reads the table (at most once
 *   a second, so forged kids cannot make it hammer the database).
 */
export const SIGNING_ALG = "ES256";
export const SIGNING_KEY_ROTATION_MS = 30 * 86_400_000;
/** The longest access-token lifetime a client may be given. */
export const MAX_ACCESS_TOKEN_TTL_S = 3600;
export const CLOCK_TOLERANCE_S = 5;
const RETIRED_KEY_LIFETIME_MS = (MAX_ACCESS_TOKEN_TTL_S + 60) * 1000;
const RELOAD_EVERY_MS = 30_000;
const MISS_RELOAD_MIN_MS = 1_000;

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

export interface PublicKeyInfo {
  kid: string;
  alg: string;
  jwk: JWK;
  createdAt: Date;
  retiredAt: Date | null;
  removeAfter: Date | null;
}

const ref = (kid: string) => ({ table: "oauth_signing_keys", column: "private_jwk", rowId: kid });

/** Public keys that may still verify a token at `now`: the active key and retired ones not yet past their end. */
function liveKeyRows(db: Executor, now: Date): OAuthSigningKeyRow[] {
  return db
    .select()
    .from(oauthSigningKeys)
    .where(or(isNull(oauthSigningKeys.removeAfter), gt(oauthSigningKeys.removeAfter, now)))
    .orderBy(desc(oauthSigningKeys.createdAt))
    .all();
}

export function listSigningKeys(db: Executor, now: Date): PublicKeyInfo[] {
  return liveKeyRows(db, now).map((row) => ({
    kid: row.kid,
    alg: row.alg,
    jwk: publicJwkOf(row),
    createdAt: row.createdAt,
    retiredAt: row.retiredAt,
    removeAfter: row.removeAfter,
  }));
}

function publicJwkOf(row: OAuthSigningKeyRow): JWK {
  const { kty, crv, x, y } = row.publicJwk;
  return { kty, crv, x, y, kid: row.kid, alg: row.alg, use: "sig" };
}

/**
 * Makes a new signing key and retires the current one, in one write
 * transaction. Without `force`, does nothing when the active key is younger
 * than the rotation period (so several processes can all call it). Returns
 * the kid now active.
 */
export function rotateSigningKey(
  db: Db,
  opts: { clock: Clock; keyring: Keyring; actor: Actor; client: ClientInfo; force: boolean },
): { kid: string; rotated: boolean } {
  return db.transaction((tx) => {
    const now = opts.clock.now();
    const active = tx.select().from(oauthSigningKeys).where(isNull(oauthSigningKeys.retiredAt)).get();
    if (active && !opts.force && now.getTime() - active.createdAt.getTime() < SIGNING_KEY_ROTATION_MS) {
      return { kid: active.kid, rotated: false };
    }
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const kid = newId("signingKey");
    const publicJwk = publicKey.export({ format: "jwk" }) as Record<string, string>;
    const privateJwk = JSON.stringify(privateKey.export({ format: "jwk" }));
    if (active) {
      tx.update(oauthSigningKeys)
        .set({ retiredAt: now, removeAfter: new Date(now.getTime() + RETIRED_KEY_LIFETIME_MS) })
        .where(eq(oauthSigningKeys.kid, active.kid))
        .run();
    }
    tx.insert(oauthSigningKeys)
      .values({
        kid,
        alg: SIGNING_ALG,
        publicJwk,
        privateJwk: seal(opts.keyring, ref(kid), privateJwk),
        createdAt: now,
        retiredAt: null,
        removeAfter: null,
      })
      .run();
    // Keys past their end are of no use to anyone: drop them (their public half is not secret, their private half is).
    tx.delete(oauthSigningKeys).where(lt(oauthSigningKeys.removeAfter, now)).run();
    recordAudit(tx, opts.clock, {
      actor: opts.actor,
      action: "oauth.signing_key_rotate",
      target: { type: "signing_key", id: kid },
      client: opts.client,
      detail: { retired: active?.kid ?? null, scheduled: !opts.force },
    });
    return { kid, rotated: true };
  });
}

interface Signer {
  kid: string;
  key: VerifyKey;
  createdAt: number;
}

/**
 * The per-process cache of signing and verification keys for one database.
 * Verification is the hot path (every API request with an access token): a
 * map lookup, with the database read only on a timer or on an unknown kid.
 */
export class SigningKeys {
  private verifiers = new Map<string, { key: VerifyKey; removeAfter: number | null }>();
  private loadedAt = 0;
  private lastMissReload = 0;
  private signer: Signer | null = null;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly keyring: Keyring | null,
  ) {}

  private async reload(): Promise<void> {
    const now = this.clock.now();
    const rows = liveKeyRows(this.db, now);
    const next = new Map<string, { key: VerifyKey; removeAfter: number | null }>();
    for (const row of rows) {
      const known = this.verifiers.get(row.kid);
      next.set(row.kid, {
        key: known?.key ?? (await importJWK(publicJwkOf(row), SIGNING_ALG)),
        removeAfter: row.removeAfter?.getTime() ?? null,
      });
    }
    this.verifiers = next;
    this.loadedAt = now.getTime();
    // Another process (or `gatehouse oauth-keys rotate`) may have replaced the key we sign with.
    if (this.signer && !rows.some((row) => row.kid === this.signer?.kid && !row.retiredAt)) this.signer = null;
  }

  /** The public key for a kid, or null when no live key has it (unknown, or past its end). */
  async verificationKey(kid: string): Promise<VerifyKey | null> {
    const now = this.clock.now().getTime();
    if (now - this.loadedAt > RELOAD_EVERY_MS) await this.reload();
    let found = this.verifiers.get(kid);
    if (!found && now - this.lastMissReload > MISS_RELOAD_MIN_MS) {
      this.lastMissReload = now;
      await this.reload();
      found = this.verifiers.get(kid);
    }
    if (!found || (found.removeAfter !== null && found.removeAfter <= now)) return null;
    return found.key;
  }

  /** The key to sign with now, rotating first when the active one is due (or there is none yet). */
  async signingKey(): Promise<{ kid: string; key: VerifyKey }> {
    const now = this.clock.now().getTime();
    if (
      this.signer &&
      now - this.signer.createdAt < SIGNING_KEY_ROTATION_MS &&
      now - this.loadedAt <= RELOAD_EVERY_MS
    ) {
      return this.signer;
    }
    if (!this.keyring) throw new Error("no data-encryption keyring: cannot open the signing key");
    rotateSigningKey(this.db, {
      clock: this.clock,
      keyring: this.keyring,
      actor: { kind: "system", id: null },
      client: { ip: null, userAgent: null, requestId: "signing-key-schedule" },
      force: false,
    });
    const row = this.db.select().from(oauthSigningKeys).where(isNull(oauthSigningKeys.retiredAt)).get();
    if (!row) throw new Error("no active signing key after rotation");
    if (this.signer?.kid !== row.kid) {
      const jwk = JSON.parse(openSigningKey(this.keyring, row)) as JWK;
      this.signer = { kid: row.kid, key: await importJWK(jwk, SIGNING_ALG), createdAt: row.createdAt.getTime() };
      getLogger().info({ kid: row.kid }, "signing access tokens with key");
    }
    await this.reload();
    return this.signer;
  }
}

/** Opens a private signing key; one that does not open is logged and counted like any sealed value (audit/sealed-failures.ts). */
function openSigningKey(keyring: Keyring, row: OAuthSigningKeyRow): string {
  try {
    return open(keyring, ref(row.kid), row.privateJwk);
  } catch (error) {
    if (error instanceof DecryptionError) {
      reportDecryptionFailure(error);
      METRICS.sealedValueFailures.inc([error.ref.table, error.reason]);
    }
    throw error;
  }
}

const stores = new WeakMap<Db, SigningKeys>();

/** One key cache per database handle (tests open many). */
export function signingKeysFor(runtime: { db: Db; clock: Clock; keyring: Keyring | null }): SigningKeys {
  let store = stores.get(runtime.db);
  if (!store) {
    store = new SigningKeys(runtime.db, runtime.clock, runtime.keyring);
    stores.set(runtime.db, store);
  }
  return store;
}
