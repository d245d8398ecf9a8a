import { DAY_MS, type PostureFacts } from "../facts";
import type { PostureRule } from "../types";
import { hostOf, isLoopbackHost } from "./hosts";

export const rateLimitStore: PostureRule<PostureFacts> = {
  id: "operations.rate-limit-store",
  group: "operations",
  title: "Rate limits are counted in one shared store",
  meaning:
    "Limits hold only if every process counts in the same place. The embedded store is a SQLite file in the data folder, shared exactly by the workers of one server; a second instance on another machine needs Redis (REDIS_URL or UPSTASH_REDIS_REST_*), or each would allow the full limit. The store's connection carries its password or token and every counter key, so it must be encrypted unless it stays on this machine.",
  fix: "With several instances set REDIS_URL=rediss://… (TLS) or UPSTASH_REDIS_REST_URL=https://…; with one server the embedded store is right.",
  evaluate(f) {
    const r = f.rateLimit;
    const workers = `${r.workers} worker ${r.workers === 1 ? "process" : "processes"}`;
    if (r.store === "embedded" && r.onPostgres) {
      return {
        status: "pass",
        summary: `Counted in the PostgreSQL database, shared by every instance on it (Redis, if set, is faster).`,
      };
    }
    if (r.store === "embedded") {
      return {
        status: "pass",
        summary: `Embedded store in the data folder, shared by this server's ${workers}; a second instance elsewhere would need Redis.`,
      };
    }
    const host = r.storeUrl ? hostOf(r.storeUrl) : null;
    const local = host !== null && isLoopbackHost(host.hostname);
    const where = host ? `${host.protocol}//${host.hostname}` : "an unparseable URL";
    if (r.store === "upstash" && host?.protocol !== "https:" && !local) {
      return {
        status: "fail",
        summary: `Upstash is reached at ${where} over plain HTTP: its token and the counters cross the network readable.`,
      };
    }
    if (r.store === "redis" && host?.protocol !== "rediss:" && !local) {
      return {
        status: "warn",
        summary: `Redis is reached at ${where} without TLS: its password and the counters cross the network readable.`,
      };
    }
    return {
      status: "pass",
      summary: `${r.store === "redis" ? "Redis" : "Upstash"} at ${where}, shared by every instance.`,
    };
  },
};

/** A year is what most audit regimes ask (PCI DSS 10.5.1 among them); under a month an intrusion outlives its traces. */
export const AUDIT_RETENTION_GOOD_DAYS = 365;
export const AUDIT_RETENTION_MIN_DAYS = 30;
/** Pruning runs daily; this much slack past the retention age means it is not running. */
const PRUNE_SLACK_DAYS = 2;

export const auditRetention: PostureRule<PostureFacts> = {
  id: "operations.audit-retention",
  group: "operations",
  title: `Audit entries are kept ${AUDIT_RETENTION_GOOD_DAYS} days`,
  meaning:
    "The audit log is how a break-in is reconstructed after the fact, often months later. AUDIT_RETENTION_DAYS sets how long entries stay; the server prunes older ones daily, leaving a checkpoint in the chain.",
  fix: `Set AUDIT_RETENTION_DAYS to ${AUDIT_RETENTION_GOOD_DAYS} or more (and export older entries to your log store if you keep less); if entries are older than the retention age, make sure a server runs, or run npm run gatehouse -- audit prune from cron.`,
  evaluate(f) {
    const { retentionDays, oldestAt } = f.audit;
    if (retentionDays < AUDIT_RETENTION_MIN_DAYS) {
      return {
        status: "fail",
        summary: `AUDIT_RETENTION_DAYS=${retentionDays}: entries vanish before an incident is noticed.`,
      };
    }
    if (retentionDays < AUDIT_RETENTION_GOOD_DAYS) {
      return {
        status: "warn",
        summary: `AUDIT_RETENTION_DAYS=${retentionDays}, less than the ${AUDIT_RETENTION_GOOD_DAYS} days most audit regimes ask.`,
      };
    }
    if (oldestAt) {
      const age = Math.floor((f.now.getTime() - oldestAt.getTime()) / DAY_MS);
      if (age > retentionDays + PRUNE_SLACK_DAYS) {
        return {
          status: "warn",
          summary: `The oldest entry is ${age} days old, past AUDIT_RETENTION_DAYS=${retentionDays}: pruning is not running.`,
          details: f.audit.lastPruneAt ? [`last pruned ${f.audit.lastPruneAt.toISOString()}`] : ["never pruned"],
        };
      }
    }
    return { status: "pass", summary: `Entries are kept ${retentionDays} days.` };
  },
};

/** A backup older than a day plus some slack for a nightly job that ran late. */
const BACKUP_FRESH_MS = 26 * 3_600_000;
export const BACKUP_STALE_DAYS = 7;

export const recentBackup: PostureRule<PostureFacts> = {
  id: "operations.backups",
  group: "operations",
  title: "A backup was taken in the last day",
  meaning:
    "The data folder is the whole deployment: users, tokens, the audit log, and (unless ENCRYPTION_KEYS is used) the keys that open the sealed data. Without a recent backup, a lost disk or a bad migration loses everything since the last one. Gatehouse knows of the backups gatehouse backup took (each is recorded in the audit log as backup.create).",
  fix: "Run npm run gatehouse -- backup --out /backups/gatehouse-$(date +%F) nightly (cron or a systemd timer), to another disk or machine, and try a restore now and then (gatehouse restore --from DIR into an empty folder).",
  evaluate(f) {
    const { lastAt, folder, onPostgres } = f.backup;
    if (onPostgres) {
      return {
        status: "warn",
        summary:
          "The database is PostgreSQL: back it up with pg_dump or your provider's snapshots (Gatehouse cannot see them), and keep ENCRYPTION_KEYS apart from the backups.",
      };
    }
    if (!lastAt) return { status: "warn", summary: "No backup has been recorded yet." };
    const ageMs = f.now.getTime() - lastAt.getTime();
    const line = `last backup ${lastAt.toISOString()}${folder ? ` into ${folder}` : ""}`;
    if (ageMs > BACKUP_STALE_DAYS * DAY_MS) {
      return {
        status: "fail",
        summary: `The last backup is ${Math.floor(ageMs / DAY_MS)} days old.`,
        details: [line],
      };
    }
    if (ageMs > BACKUP_FRESH_MS) {
      return {
        status: "warn",
        summary: `The last backup is ${Math.floor(ageMs / 3_600_000)} hours old.`,
        details: [line],
      };
    }
    return {
      status: "pass",
      summary: `Last backup ${Math.max(0, Math.floor(ageMs / 3_600_000))} hours ago.`,
      details: [line],
    };
  },
};

/** The head should be recorded at least daily; this allows a daily job some slack. */
const HEAD_FRESH_MS = 2 * DAY_MS;

export const auditHeadRecorded: PostureRule<PostureFacts> = {
  id: "operations.audit-head",
  group: "operations",
  title: "The audit head hash is recorded outside the database",
  meaning:
    "The audit log is hash-chained, but the chain has no key: whoever can write the database can rewrite entries and recompute every hash. A copy of the head hash kept elsewhere (AUDIT_HEAD_FILE, written by gatehouse audit head) proves the history up to it: if the database's entry at that seq no longer has that hash, the log was rewritten.",
  fix: "Set AUDIT_HEAD_FILE to a path on another disk or host (an append-only or write-once mount is best) and run npm run gatehouse -- audit head daily from cron; also ship its output (audit head --out=-) to your log store. On a mismatch, investigate before recording a new head: compare with a backup and your log store.",
  evaluate(f) {
    const h = f.auditHead;
    if (h.state === "not_configured") {
      return {
        status: "warn",
        summary: "AUDIT_HEAD_FILE is not set: nothing outside the database anchors the audit chain.",
      };
    }
    if (h.state === "missing") {
      return {
        status: "fail",
        summary: `AUDIT_HEAD_FILE is set but ${h.file} does not exist: run gatehouse audit head.`,
      };
    }
    if (h.state === "unreadable") {
      return { status: "fail", summary: `${h.file} cannot be read as an audit head record: ${h.why}.` };
    }
    const recorded = `recorded ${h.recordedAt.toISOString()}: seq ${h.seq}, hash ${h.hash.slice(0, 16)}…`;
    if (h.storedHash !== null && h.storedHash !== h.hash) {
      return {
        status: "fail",
        summary: `The audit log was rewritten: entry ${h.seq} no longer has the hash recorded in ${h.file}.`,
        details: [recorded, `database now: ${h.storedHash.slice(0, 16)}…`],
      };
    }
    if (h.storedHash === null) {
      if (h.oldestSeq !== null && h.seq < h.oldestSeq) {
        return {
          status: "warn",
          summary: `Entry ${h.seq} recorded in ${h.file} was pruned by retention; record the head again.`,
          details: [recorded],
        };
      }
      return {
        status: "fail",
        summary: `Entry ${h.seq} recorded in ${h.file} is missing from the database: entries were deleted, or another database is in use.`,
        details: [recorded],
      };
    }
    const ageMs = f.now.getTime() - h.recordedAt.getTime();
    if (ageMs > HEAD_FRESH_MS) {
      return {
        status: "warn",
        summary: `The recorded head matches, but it is ${Math.floor(ageMs / DAY_MS)} days old: later entries are not anchored.`,
        details: [recorded],
      };
    }
    if (h.insideDataDir) {
      return {
        status: "warn",
        summary: `The recorded head matches, but ${h.file} is inside the data folder: whoever can rewrite the database can rewrite it too.`,
        details: [recorded],
      };
    }
    return { status: "pass", summary: `The head recorded in ${h.file} matches the database.`, details: [recorded] };
  },
};
