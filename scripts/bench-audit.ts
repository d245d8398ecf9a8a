/**
 * `npm run bench:audit`: the Audit page's queries on a million-entry audit
 * log. Builds a fresh database with the real migrations (all indexes and the
 * full-text table) in a temporary folder, fills it with a realistic, fully
 * hash-chained log, then times each filter of the Audit page (first page and
 * a deep page, 50 rows, through the same listAudit the dashboard calls), the
 * action list, a filtered export and a full chain verification.
 *
 * Options (env): BENCH_AUDIT_ROWS (default 1000000), BENCH_AUDIT_RUNS timed
 * runs per query (default 20), BENCH_AUDIT_KEEP=1 to keep the database,
 * BENCH_AUDIT_DB=<file> to time queries on a database kept earlier.
 * Prints a table; writes docs/audit-bench.latest.json.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openSqlite } from "@/db";
import { listAuditActions } from "@/server/audit/actions";
import { canonicalize, entryHash, GENESIS_HASH } from "@/server/audit/chain";
import { exportChunks } from "@/server/audit/export";
import type { AuditFilter } from "@/server/audit/filter";
import { verifyAuditChain } from "@/server/audit/verify";
import { listAudit } from "@/server/services/audit";

const ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_AUDIT_RUNS ?? 20);
const ROOT = path.resolve(import.meta.dirname, "..");

const REUSE = process.env.BENCH_AUDIT_DB;
const dir = REUSE ? path.dirname(REUSE) : fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-bench-audit-"));
const file = REUSE ?? path.join(dir, "gatehouse.db");
const db = openSqlite(file);

// A deterministic generator, so two runs build the same log.
let state = 0x9e3779b9;
function rand(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 0x100000000;
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
const id = (prefix: string, n: number) => `${prefix}_${n.toString(36).padStart(20, "0")}`;

// Roughly what a busy install records: mostly contact changes and sign-ins.
const ACTIONS: Array<[string, number]> = [
  ["contact.create", 18],
  ["contact.update", 22],
  ["contact.delete", 6],
  ["session.login", 14],
  ["session.login_failed", 8],
  ["session.logout", 6],
  ["token.create", 3],
  ["token.revoke", 2],
  ["token.rotate", 1],
  ["access.forbidden", 4],
  ["access.unauthenticated", 5],
  ["access.not_found", 2],
  ["ratelimit.rejected", 4],
  ["user.create", 1],
  ["user.role_change", 1],
  ["user.password_change", 1],
  ["cors.add", 1],
  ["audit.export", 1],
];
const ACTION_TABLE = ACTIONS.flatMap(([action, weight]) => Array.from({ length: weight }, () => action));
const USERS = Array.from({ length: 2_000 }, (_, i) => id("usr", i + 1));
const TOKENS = Array.from({ length: 500 }, (_, i) => id("tok", i + 1));
const IPS = Array.from({ length: 20_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
const AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0", "curl/8.5.0", "gatehouse-cli", "python-httpx/0.27"];
const YEAR_MS = 365 * 86_400_000;
const START = Date.UTC(2025, 0, 1);

function generate() {
  const insert = db.$client.prepare(
    `INSERT INTO audit_log (id, at, actor_kind, actor_id, action, target_type, target_id, outcome, ip, user_agent, request_id, detail, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // Bulk load the way a restore would: without the secondary indexes and the
  // full-text trigger, then build them once from the loaded table. The result
  // is the same database the migrations describe (checked by reading the
  // definitions from sqlite_master and executing them again).
  const deferred = db.$client
    .prepare(
      "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'audit_log' AND type IN ('index', 'trigger') AND sql IS NOT NULL",
    )
    .all() as Array<{ type: string; name: string; sql: string }>;
  for (const item of deferred) db.$client.exec(`DROP ${item.type.toUpperCase()} "${item.name}"`);

  let prev = GENESIS_HASH;
  const batch = 20_000;
  const started = performance.now();
  for (let from = 0; from < ROWS; from += batch) {
    db.$client.transaction(() => {
      for (let i = from; i < Math.min(from + batch, ROWS); i++) {
        const action = pick(ACTION_TABLE);
        const area = action.split(".")[0] as string;
        const byToken = rand() < 0.3;
        const anonymous = action === "access.unauthenticated" || action === "session.login_failed";
        const actorKind = anonymous ? "anonymous" : byToken ? "token" : "user";
        const actorId = anonymous ? null : byToken ? pick(TOKENS) : pick(USERS);
        const outcome =
          action.startsWith("access.") || action === "ratelimit.rejected"
            ? "denied"
            : action.endsWith("failed")
              ? "failure"
              : rand() < 0.97
                ? "success"
                : "failure";
        const user = Math.floor(rand() * 50_000);
        const detail =
          area === "contact"
            ? { fields: ["name", "email"], contactEmail: `person${user}@example.com` }
            : area === "session"
              ? { email: `user${user % 2_000}@example.com`, reason: outcome === "success" ? null : "wrong_password" }
              : area === "access" || area === "ratelimit"
                ? { aggregated: true, count: 1 + Math.floor(rand() * 50), status: 401, procedure: "contacts.list" }
                : { note: `${action} by ${actorId ?? "nobody"}` };
        const content = {
          id: id("aud", i + 1),
          at: START + Math.floor((i / ROWS) * YEAR_MS),
          actorKind,
          actorId,
          action,
          targetType: area === "contact" ? "contact" : area === "session" ? "session" : null,
          targetId: area === "contact" ? id("con", user) : null,
          outcome,
          ip: pick(IPS),
          userAgent: pick(AGENTS),
          requestId: id("req", i + 1),
          detail: JSON.stringify(canonicalize(detail)),
        };
        const hash = entryHash(prev, content);
        insert.run(
          content.id,
          content.at,
          content.actorKind,
          content.actorId,
          content.action,
          content.targetType,
          content.targetId,
          content.outcome,
          content.ip,
          content.userAgent,
          content.requestId,
          content.detail,
          prev,
          hash,
        );
        prev = hash;
      }
    })();
    process.stdout.write(`\r  generated ${Math.min(from + batch, ROWS).toLocaleString("en")} entries`);
  }
  process.stdout.write("\n  building indexes and the full-text index\n");
  for (const item of deferred) db.$client.exec(item.sql);
  db.$client.exec("INSERT INTO audit_search(rowid, detail) SELECT seq, detail FROM audit_log WHERE detail IS NOT NULL");
  // No ANALYZE: the server never runs it, so the planner works here as it does there.
  db.$client.pragma("wal_checkpoint(TRUNCATE)");
  return (performance.now() - started) / 1000;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { median: at(0.5), p95: at(0.95), max: sorted.at(-1) as number };
}

async function time(fn: () => unknown): Promise<number[]> {
  await fn(); // warm the page cache and the statement cache once
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples;
}

interface Row {
  query: string;
  page: "first" | "deep";
  rows: number;
  median: number;
  p95: number;
  max: number;
}

async function main() {
  console.log(`gatehouse audit benchmark: ${ROWS.toLocaleString("en")} entries, ${RUNS} timed runs per query`);
  console.log(`  database: ${file}`);
  const generateSeconds = REUSE ? null : generate();
  const sizeMb = (fs.statSync(file).size + (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0)) / 1e6;
  console.log(
    `  ${generateSeconds === null ? "reused" : `generated in ${generateSeconds.toFixed(1)} s`}; database ${sizeMb.toFixed(0)} MB`,
  );

  const mid = Math.floor(ROWS / 2);
  const week = (days: number) => new Date(START + days * 86_400_000);
  const scenarios: Array<[string, AuditFilter]> = [
    ["no filter", {}],
    ["actor (one user)", { actorId: USERS[7] }],
    ["action (exact)", { action: "contact.delete" }],
    ["action area (session.)", { action: "session." }],
    ["outcome = failure", { outcome: "failure" }],
    ["IP address", { ip: IPS[1234] }],
    ["target id", { targetId: id("con", 4242) }],
    ["request id", { requestId: id("req", mid) }],
    ["time range (one week)", { since: week(180), until: week(187) }],
    ["actor + time range", { actorId: USERS[7], since: week(90), until: week(270) }],
    ["action + outcome", { action: "session.login_failed", outcome: "failure" }],
    ["full text, common word", { text: "wrong_password" }],
    ["full text, one email", { text: "person4242@example.com" }],
    ["full text + action", { text: "user42@example.com", action: "session.login_failed" }],
  ];

  const results: Row[] = [];
  for (const [name, filter] of scenarios) {
    const first = await listAudit(db, { ...filter, limit: 50 });
    results.push({
      query: name,
      page: "first",
      rows: first.items.length,
      ...stats(await time(() => listAudit(db, { ...filter, limit: 50 }))),
    });
    // A deep page: keyset from the middle of the table, as after many clicks on "Older".
    results.push({
      query: name,
      page: "deep",
      rows: (await listAudit(db, { ...filter, cursor: mid, limit: 50 })).items.length,
      ...stats(await time(() => listAudit(db, { ...filter, cursor: mid, limit: 50 }))),
    });
  }

  const extras: Record<string, unknown> = {};
  extras.actionsMs = stats(await time(() => listAuditActions(db)));

  let exported = 0;
  let t = performance.now();
  for await (const chunk of exportChunks(db, { action: "session." }, "csv", ROWS)) exported += chunk.length;
  extras.exportSessionCsv = { seconds: (performance.now() - t) / 1000, megabytes: exported / 1e6 };

  t = performance.now();
  void verifyAuditChain(db).then((report) => {
    extras.verify = { seconds: (performance.now() - t) / 1000, ok: report.ok, checked: report.checked };
    finish(results, extras, generateSeconds, sizeMb);
  });
}

function finish(results: Row[], extras: Record<string, unknown>, generateSeconds: number | null, sizeMb: number) {
  console.log("");
  console.log("  query                        page   rows   median ms   p95 ms   max ms");
  for (const r of results) {
    console.log(
      `  ${r.query.padEnd(28)} ${r.page.padEnd(6)} ${String(r.rows).padStart(4)}   ${r.median.toFixed(2).padStart(9)}   ${r.p95.toFixed(2).padStart(6)}   ${r.max.toFixed(2).padStart(6)}`,
    );
  }
  const actions = extras.actionsMs as ReturnType<typeof stats>;
  const exp = extras.exportSessionCsv as { seconds: number; megabytes: number };
  const ver = extras.verify as { seconds: number; ok: boolean; checked: number };
  console.log("");
  console.log(`  action list (skip-scan): median ${actions.median.toFixed(2)} ms`);
  console.log(`  export, area session. as CSV: ${exp.megabytes.toFixed(1)} MB in ${exp.seconds.toFixed(1)} s`);
  console.log(
    `  verify the whole chain: ${ver.checked.toLocaleString("en")} entries in ${ver.seconds.toFixed(1)} s (ok: ${ver.ok})`,
  );

  const out = {
    takenAt: new Date().toISOString(),
    rows: ROWS,
    runs: RUNS,
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    loadAverage: os.loadavg(),
    generateSeconds,
    databaseMegabytes: Math.round(sizeMb),
    queries: results,
    ...extras,
  };
  // Rounded, and short number lists on one line, as the formatter (Biome) writes JSON.
  const text = JSON.stringify(
    out,
    (_key, value) => (typeof value === "number" ? Math.round(value * 100) / 100 : value),
    2,
  ).replace(/\[\s*([-\d.,\s]+?)\s*\]/g, (_match, items: string) => `[${items.split(/,\s*/).join(", ")}]`);
  fs.writeFileSync(path.join(ROOT, "docs", "audit-bench.latest.json"), `${text}\n`);
  db.$client.close();
  if (process.env.BENCH_AUDIT_KEEP !== "1" && !REUSE) fs.rmSync(dir, { recursive: true, force: true });
}

await main();
