import fs from "node:fs";
import path from "node:path";
import { and, asc, desc, eq, gt, isNull, or } from "drizzle-orm";
import type { Executor } from "@/db";
import { apiTokens, auditLog, corsOrigins, encryptionKeys, oauthSigningKeys, users } from "@/db/schema";
import type { Clock } from "../clock";
import { type Config, DEFAULT_OBSERVABILITY, DEFAULT_SECOND_FACTORS } from "../config";
import { SECRETS_FILE } from "../config/secrets";
import type { Keyring } from "../crypto/keyring";
import { DEFAULT_RATE_LIMIT_CONFIG } from "../ratelimit/config";
import { lastBackup } from "../services/backup-record";
import { usersWithoutSecondFactor } from "../services/second-factors";
import { readAuditHeadFile } from "./audit-head";
import type { AuditHeadRecord, FileMode, PostureFacts, TokenFact } from "./facts";
import type { ForwardingSighting } from "./forwarding";

export interface PostureSources {
  db: Executor;
  clock: Clock;
  config: Config;
  keyring: Keyring | null;
  /** The process environment: only whether AUTH_SECRET and ADMIN_PASSWORD are set is read, never a value. */
  env: Record<string, string | undefined>;
  /** What this server process saw of forwarding headers (forwarding.ts); absent where no request is seen (the CLI). */
  forwarding?: ForwardingSighting | null;
}

const isSet = (value: string | undefined) => value !== undefined && value.trim() !== "";
const permissions = (stat: fs.Stats) => stat.mode & 0o777;

function statOrNull(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}

/** The regular files directly in the folder (database, WAL, secrets, counters, locks) and their modes. */
function filesIn(dir: string): FileMode[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.sort().flatMap((name) => {
    try {
      const stat = fs.lstatSync(path.join(dir, name));
      return stat.isFile() ? [{ name, mode: permissions(stat) }] : [];
    } catch {
      return []; // removed between the listing and the stat (a WAL checkpoint, a lock)
    }
  });
}

function isInside(file: string, dir: string): boolean {
  const relative = path.relative(path.resolve(dir), path.resolve(file));
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** Only the scheme and host: REDIS_URL may carry a password, the rule needs neither it nor the port. */
function storeLocation(config: Config): string | null {
  const store = (config.rateLimit ?? DEFAULT_RATE_LIMIT_CONFIG).store;
  if (store.kind === "embedded") return null;
  try {
    const url = new URL(store.url);
    return `${url.protocol}//${url.hostname}`;
  } catch {
    return null; // judged as not on this machine: the rule cannot vouch for it
  }
}

async function fieldKeys(db: Executor, keyring: Keyring | null): Promise<PostureFacts["fieldKeys"]> {
  if (!keyring) return [];
  // Keys from ENCRYPTION_KEYS carry no date: when this database first met the key is the best age there is.
  const firstSeen = new Map(
    (await db.select({ id: encryptionKeys.keyId, at: encryptionKeys.createdAt }).from(encryptionKeys).all()).map(
      (r) => [r.id, r.at],
    ),
  );
  return keyring.describe().map((k) => ({
    id: k.id,
    active: k.active,
    createdAt: k.createdAt ? new Date(k.createdAt) : (firstSeen.get(k.id) ?? null),
  }));
}

async function liveTokens(db: Executor, now: Date): Promise<TokenFact[]> {
  return (
    await db
      .select({
        id: apiTokens.id,
        name: apiTokens.name,
        ownerEmail: users.email,
        scopes: apiTokens.scopes,
        createdAt: apiTokens.createdAt,
        expiresAt: apiTokens.expiresAt,
        lastUsedAt: apiTokens.lastUsedAt,
      })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(
        and(
          isNull(apiTokens.revokedAt),
          isNull(users.disabledAt),
          or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)),
        ),
      )
      .orderBy(asc(apiTokens.createdAt))
      .all()
  ).map(({ scopes, ...t }) => ({ ...t, admin: scopes.includes("admin") }));
}

async function auditHead(db: Executor, config: Config): Promise<AuditHeadRecord> {
  const file = (config.observability ?? DEFAULT_OBSERVABILITY).auditHeadFile ?? null;
  if (!file) return { state: "not_configured" };
  const insideDataDir = isInside(file, config.dataDir);
  const read = readAuditHeadFile(file);
  if (!read.ok) {
    return read.missing
      ? { state: "missing", file, insideDataDir }
      : { state: "unreadable", file, insideDataDir, why: read.why };
  }
  const stored = await db.select({ hash: auditLog.hash }).from(auditLog).where(eq(auditLog.seq, read.head.seq)).get();
  const oldest = await db.select({ seq: auditLog.seq }).from(auditLog).orderBy(asc(auditLog.seq)).limit(1).get();
  return {
    state: "recorded",
    file,
    insideDataDir,
    seq: read.head.seq,
    hash: read.head.hash,
    recordedAt: new Date(read.head.recordedAt),
    storedHash: stored?.hash ?? null,
    oldestSeq: oldest?.seq ?? null,
  };
}

/** Reads every fact the rules need from the running deployment: configuration, disk and database. */
export async function gatherPostureFacts(src: PostureSources): Promise<PostureFacts> {
  const { db, config } = src;
  const now = src.clock.now();
  const secretsPath = path.join(config.dataDir, SECRETS_FILE);
  const secretsStat = statOrNull(secretsPath);
  const dirStat = statOrNull(config.dataDir);
  const observability = config.observability ?? DEFAULT_OBSERVABILITY;
  const oldest = await db.select({ at: auditLog.at }).from(auditLog).orderBy(asc(auditLog.seq)).limit(1).get();
  const lastPrune = await db
    .select({ at: auditLog.at })
    .from(auditLog)
    .where(eq(auditLog.action, "audit.prune"))
    .orderBy(desc(auditLog.seq))
    .limit(1)
    .get();
  const backup = await lastBackup(db);
  return {
    now,
    appUrl: config.appUrl.origin,
    appUrlConfigured: isSet(src.env.APP_URL),
    trustedProxies: config.trustedProxies,
    forwarding: src.forwarding === undefined ? "unknown" : src.forwarding,
    secrets: {
      authSecretFrom: isSet(src.env.AUTH_SECRET) ? "env" : "file",
      encryptionKeysFrom: src.keyring?.source ?? (config.encryptionKeys ? "env" : "file"),
      adminPasswordInEnv: isSet(src.env.ADMIN_PASSWORD),
      secretsFile: secretsStat?.isFile() ? { path: secretsPath, mode: permissions(secretsStat) } : null,
    },
    dataDir: {
      path: config.dataDir,
      mode: dirStat?.isDirectory() ? permissions(dirStat) : null,
      files: dirStat?.isDirectory() ? filesIn(config.dataDir) : [],
    },
    fieldKeys: await fieldKeys(db, src.keyring),
    signingKeys: await db
      .select({ kid: oauthSigningKeys.kid, alg: oauthSigningKeys.alg, createdAt: oauthSigningKeys.createdAt })
      .from(oauthSigningKeys)
      .where(isNull(oauthSigningKeys.retiredAt))
      .all(),
    admins: {
      twoFactorPolicy: (config.secondFactors ?? DEFAULT_SECOND_FACTORS).admin,
      withoutSecondFactor: (await usersWithoutSecondFactor(db, { role: "admin" })).map((u) => u.email),
    },
    tokens: await liveTokens(db, now),
    cors: await db
      .select({ origin: corsOrigins.origin, allowCredentials: corsOrigins.allowCredentials })
      .from(corsOrigins)
      .orderBy(asc(corsOrigins.origin))
      .all(),
    rateLimit: {
      store: (config.rateLimit ?? DEFAULT_RATE_LIMIT_CONFIG).store.kind,
      storeUrl: storeLocation(config),
      workers: config.serving?.workers ?? 1,
      onPostgres: Boolean(config.databaseUrl),
    },
    audit: {
      retentionDays: observability.auditRetentionDays,
      oldestAt: oldest?.at ?? null,
      lastPruneAt: lastPrune?.at ?? null,
    },
    backup: { lastAt: backup?.at ?? null, folder: backup?.folder ?? null, onPostgres: Boolean(config.databaseUrl) },
    auditHead: await auditHead(db, config),
  };
}
