/**
 * What the posture rules look at. Every fact here is read once from the real
 * deployment — the configuration, the process environment (only whether a
 * variable is set, never its value), the data folder on disk and the
 * database — so that the rules themselves are pure functions of this object
 * and can be tested with every variant (rules/*.test.ts), while gather.ts is
 * tested against real files with real modes.
 */

import type { StoreConfig } from "../ratelimit/config";
import type { ForwardingSighting } from "./forwarding";

export interface FileMode {
  name: string;
  /** Permission bits (`mode & 0o777`). */
  mode: number;
}

export interface TokenFact {
  id: string;
  name: string;
  ownerEmail: string;
  /** Granted the `admin` scope. */
  admin: boolean;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/** The audit head as recorded outside the database by `gatehouse audit head` (AUDIT_HEAD_FILE). */
export type AuditHeadRecord =
  | { state: "not_configured" }
  | { state: "missing"; file: string; insideDataDir: boolean }
  | { state: "unreadable"; file: string; insideDataDir: boolean; why: string }
  | {
      state: "recorded";
      file: string;
      insideDataDir: boolean;
      seq: number;
      hash: string;
      recordedAt: Date;
      /** The hash the database holds for that seq now; null: no entry with that seq any more (pruned or deleted). */
      storedHash: string | null;
      /** Oldest seq still in the log (retention removes a prefix); null when the log is empty. */
      oldestSeq: number | null;
    };

export interface PostureFacts {
  now: Date;
  /** APP_URL as configured (the default is http://localhost:PORT). */
  appUrl: string;
  appUrlConfigured: boolean;
  trustedProxies: string[];
  /**
   * Forwarding headers seen on API requests from a peer that is not a trusted
   * proxy (forwarding.ts), or "unknown" where no request is seen (the CLI).
   */
  forwarding: ForwardingSighting | null | "unknown";
  secrets: {
    /** AUTH_SECRET given in the environment, or generated into DATA_DIR/secrets.json. */
    authSecretFrom: "env" | "file";
    encryptionKeysFrom: "env" | "file" | "memory";
    /** ADMIN_PASSWORD still set: the bootstrap password lives on in the environment of every process. */
    adminPasswordInEnv: boolean;
    /** DATA_DIR/secrets.json: its permission bits, or null when there is no such file. */
    secretsFile: { path: string; mode: number } | null;
  };
  dataDir: {
    path: string;
    /** Permission bits of the folder; null when it does not exist. */
    mode: number | null;
    /** The files directly in it (database, WAL, secrets, counters) with their permission bits. */
    files: FileMode[];
  };
  fieldKeys: Array<{ id: string; active: boolean; createdAt: Date | null }>;
  /** The signing key each algorithm signs with now. */
  signingKeys: Array<{ kid: string; alg: string; createdAt: Date }>;
  admins: {
    /** ADMIN_2FA. */
    twoFactorPolicy: "required" | "optional";
    /** Emails of enabled admins without a confirmed second factor (server/services/second-factors.ts). */
    withoutSecondFactor: string[];
  };
  /** Live tokens (not revoked, not expired). */
  tokens: TokenFact[];
  cors: Array<{ origin: string; allowCredentials: boolean }>;
  /** `onPostgres`: without Redis the limits are then counted in the shared PostgreSQL database (store-postgres.ts). */
  rateLimit: { store: StoreConfig["kind"]; storeUrl: string | null; workers: number; onPostgres?: boolean };
  audit: { retentionDays: number; oldestAt: Date | null; lastPruneAt: Date | null };
  /** `onPostgres`: the database is PostgreSQL, backed up with its own tools (pg_dump), which Gatehouse does not see. */
  backup: { lastAt: Date | null; folder: string | null; onPostgres?: boolean };
  auditHead: AuditHeadRecord;
}

export const DAY_MS = 86_400_000;
