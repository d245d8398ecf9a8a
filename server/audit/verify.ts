import Database from "better-sqlite3";
import type { Db } from "@/db";
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

/** A read-only connection of its own when the database is a file; the shared one for `:memory:`. */
function openReader(db: Db): { conn: Database.Database; close(): void } {
  const main = db.$client;
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
  const reader = openReader(db);
  const { conn } = reader;
  // Only a private connection may hold a snapshot across the yields below:
  // on the shared one, the server's own writes would land inside it.
  const snapshot = conn !== db.$client;
  if (snapshot) conn.exec("BEGIN");
  try {
    const page = conn.prepare<[number, number], RawEntry>(
      `SELECT ${COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`,
    );
    const lastPrune = conn
      .prepare<[string], { detail: string | null }>(
        "SELECT detail FROM audit_log WHERE action = ? ORDER BY seq DESC LIMIT 1",
      )
      .get(PRUNE_ACTION);
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
      const rows = page.all(after, batchSize);
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

    const counter = conn.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").get();
    const newest = previous?.seq ?? 0;
    if (counter && counter.seq > newest) {
      return {
        ...report,
        ok: false,
        broken: {
          seq: newest + 1,
          id: null,
          problem: "missing_end",
          message: `entries after seq ${newest} are missing: entries up to seq ${counter.seq} were written`,
        },
      };
    }
    return report;
  } finally {
    if (snapshot) conn.exec("COMMIT");
    reader.close();
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
