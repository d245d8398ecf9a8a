import Database from "better-sqlite3";
import { type Db, postgresStoreOf } from "@/db";
import { type ChainedContent, entryHash, GENESIS_HASH } from "./chain";
import { PRUNE_ACTION, type PruneCheckpoint, parseCheckpoint } from "./retention";

/**
 * Walks the audit log in seq order and checks the hash chain (chain.ts):
 *
 * - "edited": an entry's stored hash is not the hash of its content: a column
 *   was changed after it was written;
 * - "link": an entry's prev_hash is not the hash of the entry before it: an
 *   entry between them was deleted, or entries were reordered;
 * - "missing_start": the oldest entry does not start the chain and no
 *   retention checkpoint (an `audit.prune` entry, itself in the chain)
 *   accounts for the entries before it: the oldest entries were deleted;
 * - "missing_end": SQLite's AUTOINCREMENT counter is past the newest entry:
 *   the newest entries were deleted;
 * - "unhashed": an entry without a hash after the chain began (its hash was erased).
 *
 * Stops at the first broken link and reports it. Reads in batches from a
 * separate read-only connection inside one read transaction (a consistent
 * snapshot, while the server keeps writing), yielding to the event loop
 * between batches so a server stays responsive while a million entries are
 * checked. Entries written before the chain existed (empty hash, at the very
 * start) are counted as `unchained`, not verified.
 */
export type BreakKind = "edited" | "link" | "missing_start" | "missing_end" | "unhashed";

export interface ChainBreak {
  seq: number;
  id: string | null;
  problem: BreakKind;
  message: string;
}

export interface ChainReport {
  ok: boolean;
  /** Entries whose hash and link were checked. */
  checked: number;
  /** Entries from before the chain existed (empty hash), not verifiable. */
  unchained: number;
  head: { seq: number; hash: string } | null;
  /** When the oldest entries were removed by retention: the checkpoint the chain resumes from. */
  resumesAfter: PruneCheckpoint | null;
  broken: ChainBreak | null;
}

interface RawEntry {
  seq: number;
  id: string;
  at: number;
  actor_kind: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

const COLUMNS =
  "seq, id, at, actor_kind, actor_id, action, target_type, target_id, outcome, ip, user_agent, request_id, detail, prev_hash, hash";

function contentOf(row: RawEntry): ChainedContent {
  return {
    id: row.id,
    at: row.at,
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    outcome: row.outcome,
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    detail: row.detail,
  };
}

/** What the check reads, page by page, from one snapshot of the log. */
interface ChainReader {
  page(after: number, limit: number): Promise<RawEntry[]>;
  lastPrune(): Promise<{ detail: string | null } | undefined>;
  /** The highest seq ever handed out, when the store keeps it exactly (SQLite's sqlite_sequence); else null. */
  highestSeq(): Promise<number | null>;
  close(): Promise<void>;
}

function openReader(db: Db): Promise<ChainReader> | ChainReader {
  if (!db.$client) return postgresReader(db);
  const { conn, close } = sqliteConnection(db.$client);
  // Only a private connection may hold a snapshot across the yields of the check:
  // on the shared one, the server's own writes would land inside it.
  const snapshot = conn !== db.$client;
  if (snapshot) conn.exec("BEGIN");
  const page = conn.prepare<[number, number], RawEntry>(
    `SELECT ${COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`,
  );
  return {
    page: async (after, limit) => page.all(after, limit),
    lastPrune: async () =>
      conn
        .prepare<[string], { detail: string | null }>(
          "SELECT detail FROM audit_log WHERE action = ? ORDER BY seq DESC LIMIT 1",
        )
        .get(PRUNE_ACTION),
    highestSeq: async () =>
      conn.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").get()?.seq ?? 0,
    close: async () => {
      if (snapshot) conn.exec("COMMIT");
      close();
    },
  };
}

/**
 * On PostgreSQL: a read-only, repeatable-read transaction on a connection of
 * its own, so every page comes from one snapshot and no writer waits for it.
 * A sequence there also moves for an insert that was rolled back, so it does
 * not tell how many entries were written: the end of the chain is checked by
 * SQLite's counter only.
 */
async function postgresReader(db: Db): Promise<ChainReader> {
  const store = postgresStoreOf(db);
  if (!store) throw new Error("a database handle with neither a SQLite connection nor a PostgreSQL pool");
  await store.ready;
  const client = await store.pool.connect();
  try {
    await client.query("begin isolation level repeatable read read only");
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
  return {
    page: async (after, limit) =>
      (await client.query(`SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [after, limit]))
        .rows as RawEntry[],
    lastPrune: async () =>
      (await client.query("SELECT detail FROM audit_log WHERE action = $1 ORDER BY seq DESC LIMIT 1", [PRUNE_ACTION]))
        .rows[0] as { detail: string | null } | undefined,
    highestSeq: async () => null,
    close: async () => {
      try {
        await client.query("commit");
        client.release();
      } catch (error) {
        client.release(error as Error);
      }
    },
  };
}

/** A read-only connection of its own when the database is a file; the shared one for `:memory:`. */
function sqliteConnection(main: Database.Database): { conn: Database.Database; close(): void } {
  if (!main.memory) {
    try {
      const conn = new Database(main.name, { readonly: true, fileMustExist: true });
      conn.pragma("busy_timeout = 5000");
      return { conn, close: () => conn.close() };
    } catch {
      // Fall back to the shared connection (e.g. no permission to open a second one).
    }
  }
  return { conn: main, close: () => {} };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function verifyAuditChain(db: Db, opts: { batchSize?: number } = {}): Promise<ChainReport> {
  const batchSize = opts.batchSize ?? 5_000;
  const reader = await openReader(db);
  try {
    const lastPrune = await reader.lastPrune();
    const checkpoint = parseCheckpoint(lastPrune?.detail ?? null);

    const report: ChainReport = {
      ok: true,
      checked: 0,
      unchained: 0,
      head: null,
      resumesAfter: null,
      broken: null,
    };
    let previous: RawEntry | null = null;
    let after = 0;
    for (;;) {
      const rows = await reader.page(after, batchSize);
      if (rows.length === 0) break;
      for (const row of rows) {
        const broken = checkOne(row, previous, checkpoint, report);
        if (broken) return { ...report, ok: false, broken };
        previous = row;
      }
      after = (rows.at(-1) as RawEntry).seq;
      if (rows.length < batchSize) break;
      await tick();
    }
    if (previous) report.head = { seq: previous.seq, hash: previous.hash };

    const highest = await reader.highestSeq();
    const newest = previous?.seq ?? 0;
    if (highest !== null && highest > newest) {
      return {
        ...report,
        ok: false,
        broken: {
          seq: newest + 1,
          id: null,
          problem: "missing_end",
          message: `entries after seq ${newest} are missing: entries up to seq ${highest} were written`,
        },
      };
    }
    return report;
  } finally {
    await reader.close();
  }
}

function checkOne(
  row: RawEntry,
  previous: RawEntry | null,
  checkpoint: PruneCheckpoint | null,
  report: ChainReport,
): ChainBreak | null {
  const where = `entry seq ${row.seq} (${row.id})`;
  if (row.hash === "") {
    // Only a run of entries at the very start may predate the chain.
    if (previous === null || previous.hash === "") {
      report.unchained += 1;
      return null;
    }
    return { seq: row.seq, id: row.id, problem: "unhashed", message: `${where} has no hash: it was erased` };
  }
  if (entryHash(row.prev_hash, contentOf(row)) !== row.hash) {
    return {
      seq: row.seq,
      id: row.id,
      problem: "edited",
      message: `${where} does not match its hash: it was changed after it was written`,
    };
  }
  if (previous === null || previous.hash === "") {
    // The first chained entry: it starts the chain, or resumes after a retention checkpoint.
    if (row.prev_hash === GENESIS_HASH) {
      report.checked += 1;
      return null;
    }
    if (checkpoint && checkpoint.throughHash === row.prev_hash && checkpoint.throughSeq < row.seq) {
      report.resumesAfter = checkpoint;
      report.checked += 1;
      return null;
    }
    return {
      seq: row.seq,
      id: row.id,
      problem: "missing_start",
      message: `entries before ${where} are missing, and no retention checkpoint accounts for them`,
    };
  }
  if (row.prev_hash !== previous.hash) {
    return {
      seq: row.seq,
      id: row.id,
      problem: "link",
      message: `${where} does not follow entry seq ${previous.seq}: an entry between them was removed, or entries were reordered`,
    };
  }
  report.checked += 1;
  return null;
}
