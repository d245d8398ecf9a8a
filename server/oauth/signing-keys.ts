import { generateKeyPair, generateKeyPairSync, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import { and, desc, eq, gt, isNull, lt, or } from "drizzle-orm";
import { importJWK, type JWK } from "jose";
import type { Db, Executor } from "@/db";
import { type OAuthSigningKeyRow, oauthSigningKeys, SIGNING_ALGS, type SigningAlg } from "@/db/schema";
import type { ClientInfo } from "../auth/principal";
import type { Clock } from "../clock";
import { DecryptionError, open, seal } from "../crypto/envelope";
import type { Keyring } from "../crypto/keyring";
import { newId } from "../ids";
import { getLogger } from "../logger";
import { METRICS } from "../observability/metrics";
import { type Actor, recordAudit } from "../services/audit";
import { reportDecryptionFailure } from "../services/contact-codec";
import { MAX_ACCESS_TOKEN_TTL_S } from "../services/oauth-client-limits";

export { SIGNING_ALGS, type SigningAlg };

/**
 * The keys that sign access tokens, one set per algorithm side by side:
 * ES256 (ECDSA P-256, the default) and RS256 (RSASSA-PKCS1-v1_5 with
 * SHA-256, which RFC 9068 §2.1 requires an authorization server to support).
 * Generated here, their private half sealed with the data-encryption keyring
 * and bound to this table, column and kid (server/crypto/envelope.ts).
 *
 * - Per algorithm, one key signs at a time. It is replaced when it is older
 *   than SIGNING_KEY_ROTATION_MS (checked whenever a token is signed with
 *   that algorithm, and whenever the JWKS is served) or on demand
 *   (`gatehouse oauth-keys rotate`, the OAuth clients page), which replaces
 *   the keys of every algorithm unless told one.
 * - A replaced key stays in the JWKS, and keeps verifying, until every
 *   token it can have signed has expired (MAX_ACCESS_TOKEN_TTL_S after it
 *   stopped signing, plus the clock tolerance); then it is gone.
 * - Several processes share the table: rotation runs in a write transaction
 *   that re-reads the active key first, so two processes never both rotate
 *   (and a unique index allows one active key per algorithm); a process
 *   meeting a kid it does not hold re-reads the table (at most once a
 *   second, so forged kids cannot make it hammer the database).
 * - A key verifies only tokens whose header names its own algorithm: an
 *   RS256 header with an EC key's kid (or the reverse) is refused before
 *   any signature check (server/oauth/access-token.ts).
 */
export const DEFAULT_SIGNING_ALG: SigningAlg = "ES256";
/**
 * RSA keys are 2048 bits. 3072 would match P-256's 128-bit strength, but a
 * signing key's secret only has to hold while it is published (30 days of
 * signing plus an hour), not for decades as an encryption key's must;
 * 2048 bits (112-bit strength, NIST SP 800-57's floor through 2030, RFC 7518
 * §3.3's minimum) is what every JWT library and identity provider uses, and
 * it signs about six times faster and makes tokens 170 characters shorter
 * than 3072 (measured here: 0.3 ms against 1.8 ms a signature).
 */
export const RSA_MODULUS_BITS = 2048;
export const SIGNING_KEY_ROTATION_MS = 30 * 86_400_000;

/** The longest access-token lifetime a client may be given (kept with the other client bounds). */
export { MAX_ACCESS_TOKEN_TTL_S };
export const CLOCK_TOLERANCE_S = 5;
const RETIRED_KEY_LIFETIME_MS = (MAX_ACCESS_TOKEN_TTL_S + 60) * 1000;
const RELOAD_EVERY_MS = 30_000;
const MISS_RELOAD_MIN_MS = 1_000;

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

export function isSigningAlg(value: unknown): value is SigningAlg {
  return typeof value === "string" && (SIGNING_ALGS as readonly string[]).includes(value);
}

/** The JWK key type each algorithm's keys have; a stored key of another type is never used for it. */
const KEY_TYPE: Record<SigningAlg, "EC" | "RSA"> = { ES256: "EC", RS256: "RSA" };

export interface PublicKeyInfo {
  kid: string;
  alg: SigningAlg;
  jwk: JWK;
  createdAt: Date;
  retiredAt: Date | null;
  removeAfter: Date | null;
}

const ref = (kid: string) => ({ table: "oauth_signing_keys", column: "private_jwk", rowId: kid });

/** Public keys that may still verify a token at `now`: the active keys and retired ones not yet past their end. */
async function liveKeyRows(db: Executor, now: Date): Promise<OAuthSigningKeyRow[]> {
  return await db
    .select()
    .from(oauthSigningKeys)
    .where(or(isNull(oauthSigningKeys.removeAfter), gt(oauthSigningKeys.removeAfter, now)))
    .orderBy(desc(oauthSigningKeys.createdAt))
    .all();
}

async function activeKeyRow(db: Executor, alg: SigningAlg): Promise<OAuthSigningKeyRow | undefined> {
  return await db
    .select()
    .from(oauthSigningKeys)
    .where(and(eq(oauthSigningKeys.alg, alg), isNull(oauthSigningKeys.retiredAt)))
    .get();
}

export async function listSigningKeys(db: Executor, now: Date): Promise<PublicKeyInfo[]> {
  return (await liveKeyRows(db, now)).flatMap((row) => {
    const jwk = publicJwkOf(row);
    if (!jwk) return [];
    return [
      {
        kid: row.kid,
        alg: row.alg,
        jwk,
        createdAt: row.createdAt,
        retiredAt: row.retiredAt,
        removeAfter: row.removeAfter,
      },
    ];
  });
}

/**
 * The published form of a key: its public members picked by name (never a
 * copy of what is stored minus something), with kid, alg and `use: sig`.
 * A row whose key type does not fit its algorithm (only a tampered table
 * has one) is neither published nor used to verify: it is logged and left out.
 */
function publicJwkOf(row: OAuthSigningKeyRow): JWK | null {
  const stored = row.publicJwk;
  const kty = isSigningAlg(row.alg) ? KEY_TYPE[row.alg] : undefined;
  if (!kty || stored.kty !== kty || (kty === "EC" && stored.crv !== "P-256")) {
    getLogger().error({ kid: row.kid, alg: row.alg, kty: stored.kty }, "signing key of the wrong type left out");
    return null;
  }
  const members = kty === "EC" ? { crv: stored.crv, x: stored.x, y: stored.y } : { n: stored.n, e: stored.e };
  return { kty, ...members, kid: row.kid, alg: row.alg, use: "sig" };
}

/** A new key pair, exported: the public JWK as stored, the private JWK as the text that gets sealed. */
export interface KeyMaterial {
  publicJwk: Record<string, string>;
  privateJwk: string;
}

function exported(pair: { publicKey: KeyObject; privateKey: KeyObject }): KeyMaterial {
  return {
    publicJwk: pair.publicKey.export({ format: "jwk" }) as Record<string, string>,
    privateJwk: JSON.stringify(pair.privateKey.export({ format: "jwk" })),
  };
}

function newKeyMaterial(alg: SigningAlg): KeyMaterial {
  return exported(
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: RSA_MODULUS_BITS, publicExponent: 0x10001 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" }),
  );
}

const generateAsync = promisify(generateKeyPair);

/** The same, off the event loop (an RSA key takes a few hundred milliseconds to find). */
async function newKeyMaterialAsync(alg: SigningAlg): Promise<KeyMaterial> {
  return exported(
    alg === "RS256"
      ? await generateAsync("rsa", { modulusLength: RSA_MODULUS_BITS, publicExponent: 0x10001 })
      : await generateAsync("ec", { namedCurve: "P-256" }),
  );
}

const isDue = (active: OAuthSigningKeyRow | undefined, now: Date, force: boolean) =>
  force || !active || now.getTime() - active.createdAt.getTime() >= SIGNING_KEY_ROTATION_MS;

export interface RotationOptions {
  clock: Clock;
  keyring: Keyring;
  actor: Actor;
  client: ClientInfo;
  /** Replace the key even when it is not due. */
  force: boolean;
}

export interface Rotation {
  alg: SigningAlg;
  /** The kid now active for this algorithm. */
  kid: string;
  rotated: boolean;
  /** The kid it replaced, if any. */
  retired: string | null;
}

/** One algorithm's rotation, inside the caller's write transaction. */
async function rotateIn(
  tx: Executor,
  alg: SigningAlg,
  opts: RotationOptions,
  prepared?: KeyMaterial,
): Promise<Rotation> {
  const now = opts.clock.now();
  const active = await activeKeyRow(tx, alg);
  if (active && !isDue(active, now, opts.force)) return { alg, kid: active.kid, rotated: false, retired: null };
  const { publicJwk, privateJwk } = prepared ?? newKeyMaterial(alg);
  const kid = newId("signingKey");
  if (active) {
    await tx
      .update(oauthSigningKeys)
      .set({ retiredAt: now, removeAfter: new Date(now.getTime() + RETIRED_KEY_LIFETIME_MS) })
      .where(eq(oauthSigningKeys.kid, active.kid))
      .run();
  }
  await tx
    .insert(oauthSigningKeys)
    .values({
      kid,
      alg,
      publicJwk,
      privateJwk: seal(opts.keyring, ref(kid), privateJwk),
      createdAt: now,
      retiredAt: null,
      removeAfter: null,
    })
    .run();
  // Keys past their end are of no use to anyone: drop them (their public half is not secret, their private half is).
  await tx.delete(oauthSigningKeys).where(lt(oauthSigningKeys.removeAfter, now)).run();
  await recordAudit(tx, opts.clock, {
    actor: opts.actor,
    action: "oauth.signing_key_rotate",
    target: { type: "signing_key", id: kid },
    client: opts.client,
    detail: { alg, retired: active?.kid ?? null, scheduled: !opts.force },
  });
  return { alg, kid, rotated: true, retired: active?.kid ?? null };
}

/**
 * Makes new signing keys for `algs` (every algorithm by default) and retires
 * the current ones, in one write transaction, one audit entry per new key.
 * Without `force`, leaves a key alone while it is younger than the rotation
 * period (so several processes can all call it). Forced keys are generated
 * before the transaction, so the write lock is held for the inserts only;
 * `prepared` hands in keys generated elsewhere (SigningKeys, off the event
 * loop), used only when the key is still due once the lock is held.
 */
export async function rotateSigningKeys(
  db: Db,
  opts: RotationOptions & { algs?: readonly SigningAlg[]; prepared?: Partial<Record<SigningAlg, KeyMaterial>> },
): Promise<Rotation[]> {
  const algs = [...new Set(opts.algs ?? SIGNING_ALGS)];
  const prepared: Partial<Record<SigningAlg, KeyMaterial>> = { ...opts.prepared };
  if (opts.force) for (const alg of algs) prepared[alg] ??= newKeyMaterial(alg);
  const rotations = await db.transaction(async (tx) => {
    const done: Rotation[] = [];
    for (const alg of algs) done.push(await rotateIn(tx, alg, opts, prepared[alg]));
    return done;
  });
  // This process signs with the new key from its next token on (an administrator rotating after a
  // suspected leak expects no less); other processes and instances within RELOAD_EVERY_MS.
  if (rotations.some((rotation) => rotation.rotated)) stores.get(db)?.reloadSoon();
  return rotations;
}

/** One algorithm's key (ES256 unless told): what `rotateSigningKeys` does for one. */
export async function rotateSigningKey(db: Db, opts: RotationOptions & { alg?: SigningAlg }): Promise<Rotation> {
  const alg = opts.alg ?? DEFAULT_SIGNING_ALG;
  return (await rotateSigningKeys(db, { ...opts, algs: [alg] }))[0] as Rotation;
}

interface Signer {
  kid: string;
  key: VerifyKey;
  createdAt: number;
}

/** A published key as the verifier holds it: the key object, the only algorithm it verifies, its signature size. */
export interface VerificationKey {
  key: VerifyKey;
  alg: SigningAlg;
  /** The exact length of its signatures in bytes: 64 for ES256, the modulus size for RS256. */
  signatureBytes: number;
}

function signatureBytesOf(jwk: JWK, alg: SigningAlg): number {
  return alg === "ES256" ? 64 : Buffer.from(jwk.n ?? "", "base64url").length;
}

/**
 * The per-process cache of signing and verification keys for one database.
 * Verification is the hot path (every API request with an access token): a
 * map lookup, with the database read only on a timer or on an unknown kid.
 */
export class SigningKeys {
  private verifiers = new Map<string, VerificationKey & { removeAfter: number | null }>();
  private loadedAt = 0;
  private lastMissReload = 0;
  private signers = new Map<SigningAlg, Signer>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly keyring: Keyring | null,
  ) {}

  private async reload(): Promise<void> {
    const now = this.clock.now();
    const rows = await liveKeyRows(this.db, now);
    const next = new Map<string, VerificationKey & { removeAfter: number | null }>();
    for (const row of rows) {
      const jwk = publicJwkOf(row);
      if (!jwk) continue;
      const known = this.verifiers.get(row.kid);
      next.set(row.kid, {
        // The key object is imported for the row's algorithm and no other (jose refuses it for any other alg).
        key: known && known.alg === row.alg ? known.key : await importJWK(jwk, row.alg),
        alg: row.alg,
        signatureBytes: signatureBytesOf(jwk, row.alg),
        removeAfter: row.removeAfter?.getTime() ?? null,
      });
    }
    this.verifiers = next;
    this.loadedAt = now.getTime();
    // Another process (or `gatehouse oauth-keys rotate`) may have replaced a key we sign with.
    for (const [alg, signer] of this.signers) {
      if (!rows.some((row) => row.kid === signer.kid && row.alg === alg && !row.retiredAt)) this.signers.delete(alg);
    }
  }

  /** The key table is read again before the next signature or verification (a rotation was made here). */
  reloadSoon(): void {
    this.loadedAt = 0;
  }

  /** The public key for a kid, with its algorithm, or null when no live key has it (unknown, or past its end). */
  async verificationKey(kid: string): Promise<VerificationKey | null> {
    const now = this.clock.now().getTime();
    if (now - this.loadedAt > RELOAD_EVERY_MS) await this.reload();
    let found = this.verifiers.get(kid);
    if (!found && now - this.lastMissReload > MISS_RELOAD_MIN_MS) {
      this.lastMissReload = now;
      await this.reload();
      found = this.verifiers.get(kid);
    }
    if (!found || (found.removeAfter !== null && found.removeAfter <= now)) return null;
    return { key: found.key, alg: found.alg, signatureBytes: found.signatureBytes };
  }

  /**
   * The key to sign with now for `alg`, rotating that algorithm's key first
   * when it is due (or there is none yet: an installation from before RS256
   * gets its first RSA key here, under the same write lock, its ES256 key
   * untouched).
   */
  async signingKey(alg: SigningAlg = DEFAULT_SIGNING_ALG): Promise<{ kid: string; key: VerifyKey }> {
    const now = this.clock.now();
    const held = this.signers.get(alg);
    if (
      held &&
      now.getTime() - held.createdAt < SIGNING_KEY_ROTATION_MS &&
      now.getTime() - this.loadedAt <= RELOAD_EVERY_MS
    ) {
      return held;
    }
    if (!this.keyring) throw new Error("no data-encryption keyring: cannot open the signing key");
    // A key that is due is generated before the write lock is taken, off the event loop.
    const prepared = isDue(await activeKeyRow(this.db, alg), now, false) ? await newKeyMaterialAsync(alg) : undefined;
    await rotateSigningKeys(this.db, {
      clock: this.clock,
      keyring: this.keyring,
      actor: { kind: "system", id: null },
      client: { ip: null, userAgent: null, requestId: "signing-key-schedule" },
      force: false,
      algs: [alg],
      prepared: prepared ? { [alg]: prepared } : undefined,
    });
    const row = await activeKeyRow(this.db, alg);
    if (!row) throw new Error("no active signing key after rotation");
    let signer = this.signers.get(alg);
    if (signer?.kid !== row.kid) {
      const jwk = JSON.parse(openSigningKey(this.keyring, row)) as JWK;
      if (jwk.kty !== KEY_TYPE[alg]) throw new Error(`signing key ${row.kid} is not a ${KEY_TYPE[alg]} key`);
      signer = { kid: row.kid, key: await importJWK(jwk, alg), createdAt: row.createdAt.getTime() };
      this.signers.set(alg, signer);
      getLogger().info({ kid: row.kid, alg }, "signing access tokens with key");
    }
    await this.reload();
    return signer;
  }

  /** Every algorithm's key exists and is not overdue (the JWKS calls this, so it always publishes both types). */
  async ensureKeys(): Promise<void> {
    for (const alg of SIGNING_ALGS) await this.signingKey(alg);
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
