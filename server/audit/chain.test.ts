import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Db, openDatabase, sqliteOf } from "@/db";
import { fixedClock } from "../clock";
import { auditTransaction, CLI_ACTOR, recordAudit } from "../services/audit";
import { entryHash, GENESIS_HASH } from "./chain";
import { pruneAuditLog } from "./retention";
import { verifyAuditChain } from "./verify";

/**
 * The chain must catch an edit, a deletion and a reordering made directly in
 * the SQLite file, by a second connection that knows nothing of the app —
 * which is what an attacker with the file (or a backup) would do.
 */
let dir: string;
let file: string;
let db: Db;
const clock = fixedClock(Date.UTC(2026, 0, 15, 12));
const client = { ip: "203.0.113.7", userAgent: "test", requestId: "req_test" };

async function write(n: number, action: `${string}.${string}` = "contact.update") {
  for (let i = 0; i < n; i++) {
    await auditTransaction(db, (tx) =>
      recordAudit(tx, clock, {
        actor: CLI_ACTOR,
        action,
        target: { type: "contact", id: `con_${i}` },
        client,
        detail: { field: "name", n: i, note: `entry ${i}` },
      }),
    );
    clock.advance(1_000);
  }
}

/** What an attacker does: open the file with plain better-sqlite3 and change rows. */
function tamper(sql: string) {
  const raw = new Database(file);
  raw.exec(sql);
  raw.close();
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-chain-"));
  file = path.join(dir, "gatehouse.db");
  db = openDatabase(file);
});

afterEach(() => {
  sqliteOf(db).close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("audit hash chain", () => {
  it("links every entry to the one before, from the genesis hash, and verifies", async () => {
    await write(5);
    const rows = sqliteOf(db)
      .prepare("SELECT seq, prev_hash AS prev, hash FROM audit_log ORDER BY seq")
      .all() as Array<{
      seq: number;
      prev: string;
      hash: string;
    }>;
    expect(rows).toHaveLength(5);
    expect(rows[0]?.prev).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev).toBe(rows[i - 1]?.hash);
    expect(new Set(rows.map((r) => r.hash)).size).toBe(5);

    const report = await verifyAuditChain(db, { batchSize: 2 });
    expect(report).toMatchObject({ ok: true, checked: 5, unchained: 0, broken: null });
    expect(report.head).toEqual({ seq: 5, hash: rows[4]?.hash });
  });

  it("hashes the exact stored detail text and every column", async () => {
    await write(1);
    const row = sqliteOf(db).prepare("SELECT * FROM audit_log").get() as Record<string, string | number | null>;
    const content = {
      id: row.id as string,
      at: row.at as number,
      actorKind: row.actor_kind as string,
      actorId: row.actor_id as string | null,
      action: row.action as string,
      targetType: row.target_type as string | null,
      targetId: row.target_id as string | null,
      outcome: row.outcome as string,
      ip: row.ip as string | null,
      userAgent: row.user_agent as string | null,
      requestId: row.request_id as string | null,
      detail: row.detail as string | null,
    };
    expect(entryHash(GENESIS_HASH, content)).toBe(row.hash);
    // The detail is canonical JSON: sorted keys, so parse + stringify gives the same bytes.
    expect(row.detail).toBe('{"field":"name","n":0,"note":"entry 0"}');
    for (const [key, changed] of Object.entries({ ip: "198.51.100.1", at: 1, outcome: "failure", detail: "{}" })) {
      expect(entryHash(GENESIS_HASH, { ...content, [key]: changed }), key).not.toBe(row.hash);
    }
  });

  it("detects an edited entry", async () => {
    await write(5);
    tamper(`UPDATE audit_log SET detail = '{"field":"name","n":2,"note":"nothing to see"}' WHERE seq = 3`);
    const report = await verifyAuditChain(db);
    expect(report.ok).toBe(false);
    expect(report.broken).toMatchObject({ seq: 3, problem: "edited" });
    expect(report.broken?.message).toContain("changed after it was written");
  });

  it("detects an edit of a column other than the detail (the actor's IP)", async () => {
    await write(3);
    tamper("UPDATE audit_log SET ip = '10.0.0.1' WHERE seq = 2");
    expect((await verifyAuditChain(db)).broken).toMatchObject({ seq: 2, problem: "edited" });
  });

  it("detects a deleted entry", async () => {
    await write(5);
    tamper("DELETE FROM audit_log WHERE seq = 3");
    const report = await verifyAuditChain(db);
    expect(report.ok).toBe(false);
    expect(report.broken).toMatchObject({ seq: 4, problem: "link" });
    expect(report.broken?.message).toContain("removed, or entries were reordered");
  });

  it("detects reordered entries", async () => {
    await write(5);
    tamper(`
      UPDATE audit_log SET seq = 1000 WHERE seq = 3;
      UPDATE audit_log SET seq = 3 WHERE seq = 4;
      UPDATE audit_log SET seq = 4 WHERE seq = 1000;
    `);
    const report = await verifyAuditChain(db);
    expect(report.ok).toBe(false);
    expect(report.broken).toMatchObject({ seq: 3, problem: "link" });
  });

  it("detects an entry whose hash was recomputed after an edit (the next link breaks)", async () => {
    await write(4);
    // biome-ignore lint/suspicious/noExplicitAny: a raw row, as an attacker reads it
    const row = sqliteOf(db).prepare("SELECT * FROM audit_log WHERE seq = 2").get() as any;
    const forged = entryHash(row.prev_hash, {
      id: row.id,
      at: row.at,
      actorKind: row.actor_kind,
      actorId: row.actor_id,
      action: row.action,
      targetType: row.target_type,
      targetId: row.target_id,
      outcome: "failure",
      ip: row.ip,
      userAgent: row.user_agent,
      requestId: row.request_id,
      detail: row.detail,
    });
    tamper(`UPDATE audit_log SET outcome = 'failure', hash = '${forged}' WHERE seq = 2`);
    expect((await verifyAuditChain(db)).broken).toMatchObject({ seq: 3, problem: "link" });
  });

  it("detects the newest entries being removed, and the oldest", async () => {
    await write(5);
    tamper("DELETE FROM audit_log WHERE seq >= 4");
    expect((await verifyAuditChain(db)).broken).toMatchObject({ seq: 4, problem: "missing_end" });

    await write(2); // seq 6, 7: the chain goes on from entry 3
    tamper("DELETE FROM audit_log WHERE seq <= 2");
    expect((await verifyAuditChain(db)).broken).toMatchObject({ seq: 3, problem: "missing_start" });
  });

  it("detects a hash erased in the middle; accepts entries from before the chain existed at the start", async () => {
    tamper(
      "INSERT INTO audit_log (id, at, actor_kind, action, outcome) VALUES ('aud_legacy1', 1, 'cli', 'user.create', 'success')",
    );
    await write(3);
    const report = await verifyAuditChain(db);
    expect(report).toMatchObject({ ok: true, unchained: 1, checked: 3 });

    tamper("UPDATE audit_log SET hash = '' WHERE seq = 3");
    expect((await verifyAuditChain(db)).broken).toMatchObject({ seq: 3, problem: "unhashed" });
  });

  it("refuses a second entry with the same predecessor (no fork, even by hand)", async () => {
    await write(2);
    expect(() =>
      tamper(
        `INSERT INTO audit_log (id, at, actor_kind, action, outcome, prev_hash, hash)
         SELECT 'aud_fork', 1, 'cli', 'user.create', 'success', prev_hash, 'x' FROM audit_log WHERE seq = 2`,
      ),
    ).toThrow(/UNIQUE/);
  });
});

describe("audit retention", () => {
  it("prunes old entries as a prefix, records what it removed, and the chain still verifies", async () => {
    await write(6); // at 12:00:00 … 12:00:05
    clock.advance(400 * 86_400_000);
    await write(2); // a year later
    const result = await pruneAuditLog(db, clock, { retentionDays: 365, batchSize: 4 });
    expect(result).toMatchObject({ removed: 6, batches: 2 });

    const remaining = sqliteOf(db).prepare("SELECT seq, action, detail FROM audit_log ORDER BY seq").all() as Array<{
      seq: number;
      action: string;
      detail: string;
    }>;
    expect(remaining.map((r) => r.action)).toEqual(["contact.update", "contact.update", "audit.prune", "audit.prune"]);
    const last = JSON.parse(remaining[3]?.detail ?? "{}");
    expect(last).toMatchObject({ removed: 2, fromSeq: 5, throughSeq: 6, retentionDays: 365 });

    const report = await verifyAuditChain(db);
    expect(report).toMatchObject({ ok: true, checked: 4 });
    expect(report.resumesAfter).toEqual({ throughSeq: 6, throughHash: last.throughHash });

    // Pruning is the only way to remove the start: deleting by hand is still caught.
    tamper("DELETE FROM audit_log WHERE seq = 7");
    expect((await verifyAuditChain(db)).broken).toMatchObject({ seq: 8, problem: "missing_start" });
  });

  it("never removes the newest entry, so the chain goes on from a row that is there", async () => {
    await write(3);
    clock.advance(400 * 86_400_000);
    // Everything is older than the cutoff: the first batch keeps the newest entry,
    // the next one may take it, because the first batch's audit.prune entry is now the newest.
    const result = await pruneAuditLog(db, clock, { retentionDays: 1, batchSize: 2 });
    expect(result.removed).toBe(3);
    const actions = sqliteOf(db).prepare("SELECT action FROM audit_log ORDER BY seq").all();
    expect(actions).toEqual([{ action: "audit.prune" }, { action: "audit.prune" }]);
    await write(1);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 3 });
  });

  it("removes entries from the full-text index too", async () => {
    await write(3);
    clock.advance(400 * 86_400_000);
    await write(1);
    await pruneAuditLog(db, clock, { retentionDays: 1 });
    const hits = sqliteOf(db)
      .prepare("SELECT count(*) AS n FROM audit_search WHERE audit_search MATCH 'entry'")
      .get() as {
      n: number;
    };
    expect(hits.n).toBe(1);
  });
});
