import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { Worker } from "node:worker_threads";
import type { SqliteDb } from "@/db";
import type { ContactRow } from "@/db/schema";
import { type ChainedContent, canonicalize, entryHash, GENESIS_HASH } from "@/server/audit/chain";
import { hashPassword } from "@/server/auth/password";
import type { Keyring } from "@/server/crypto/keyring";
import { idPattern, newId } from "@/server/ids";
import { redactRecord } from "@/server/security/redact";
import { openContactFields } from "@/server/services/contact-codec";

/**
 * The "large database" of `npm run bench -- --large`: users, contacts and
 * audit entries written straight into a data folder's SQLite file with
 * prepared INSERTs in large transactions, before the server starts. Going
 * through the services one row at a time would take hours; the rows are
 * nevertheless what the services would have written:
 *
 * - contacts are sealed by the app's own codec (contact-codec.ts: sealEmail,
 *   sealOptional) under the folder's keyring, in worker threads
 *   (seal-worker.ts). One envelope per value AND row: the envelope's
 *   associated data names the row id, so a ciphertext cannot be shared
 *   between rows (it would not open). The email blind index is the app's.
 *   A sample of the rows is opened again at the end as a check;
 * - audit entries continue the folder's hash chain from its head, hashed by
 *   server/audit/chain.ts (entryHash over the redacted, canonical detail, as
 *   recordAudit does), so `gatehouse audit verify` passes;
 * - users share one real argon2id hash (of a random password nobody knows).
 *
 * Like a restore, the secondary indexes and the full-text trigger of the two
 * big tables are dropped for the load and created again from their own
 * definitions (read from sqlite_master) afterwards, the full-text index
 * filled for the new entries only. Time runs over the last SPAN_DAYS days
 * (inside the default audit retention of 365 days, so the retention job
 * removes nothing during the bench), contacts and audit entries interleaved
 * in time order.
 */

export interface LargeDataOptions {
  /** The data folder's environment (the seal workers open its keyring from it). */
  env: Record<string, string | undefined>;
  users: number;
  contacts: number;
  audit: number;
  /** Rows per transaction. */
  batch?: number;
  onProgress?: (text: string) => void;
}

export interface LargeDataResult {
  users: number;
  contacts: number;
  audit: number;
  sealWorkers: number;
  /** rows: writing them; waitingForSeals: the part of it spent waiting for the seal workers. */
  seconds: { rows: number; waitingForSeals: number; indexes: number; total: number };
  databaseMegabytes: number;
}

export const SPAN_DAYS = 300;
const DAY_MS = 86_400_000;

/** When contact n (of `total`) was created, on a span starting at `start`. */
export function contactTime(start: number, total: number, n: number): number {
  return start + DAY_MS + Math.floor((n * (SPAN_DAYS - 1) * DAY_MS) / total);
}

const FIRST = ["ada", "alan", "grace", "edsger", "barbara", "donald", "frances", "john", "margaret", "ken"];
const LAST = ["lovelace", "turing", "hopper", "dijkstra", "liskov", "knuth", "allen", "backus", "hamilton", "thompson"];
const WORDS =
  "call back about the renewal invoice sent meeting moved to next week prefers email over phone met at the conference asked for the pricing sheet".split(
    " ",
  );
/** 100 distinct notes of 20 to ~400 characters; a third of the contacts have none. */
const NOTES = Array.from({ length: 100 }, (_, i) => {
  const words: string[] = [];
  for (let w = 0; w < 4 + ((i * 7) % 60); w++) words.push(WORDS[(i + w * 3) % WORDS.length] as string);
  return words.join(" ");
});
const title = (word: string) => `${word[0]?.toUpperCase()}${word.slice(1)}`;

/** The plain values of contact n (deterministic). */
export function contactPlain(n: number) {
  const first = FIRST[n % FIRST.length] as string;
  const last = LAST[Math.floor(n / FIRST.length) % LAST.length] as string;
  return {
    name: `${title(first)} ${title(last)}`,
    email: `${first}.${last}.${n}@example.org`,
    phone: `+41${String(440_000_000 + ((n * 7919) % 10_000_000))}`,
    notes: n % 3 === 2 ? null : (NOTES[n % NOTES.length] as string),
  };
}

/** One sealed contact as the worker sends it: the INSERT's parameters, in order. */
export type SealedContact = [
  id: string,
  ownerId: string,
  name: string,
  email: string,
  phone: string | null,
  notes: string | null,
  emailIndex: string,
  createdAt: number,
  updatedAt: number,
];

export interface SealRequest {
  from: number;
  to: number;
}

export interface SealWorkerData {
  env: Record<string, string | undefined>;
  userIds: string[];
  contacts: number;
  start: number;
}

/**
 * Seal workers, each taking every k-th range of contacts; `next()` yields the
 * ranges in order, keeping a few requested ahead so the workers stay busy
 * while this thread writes.
 */
class Sealers {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve(rows: SealedContact[]): void; reject(e: Error): void }>();
  private readonly inFlight = new Map<number, Promise<SealedContact[]>>();
  private nextToRequest = 0;
  private nextToYield = 0;
  private failure: Error | null = null;

  constructor(
    count: number,
    data: SealWorkerData,
    private readonly rangeSize: number,
    private readonly ahead: number,
  ) {
    const file = new URL("./seal-worker.ts", import.meta.url).href;
    // The bench runs under tsx; a worker thread does not inherit its loader, so it loads the worker through tsx's API.
    const boot = `import("tsx/esm/api").then(({ tsImport }) => tsImport(${JSON.stringify(file)}, ${JSON.stringify(import.meta.url)}))`;
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(boot, { eval: true, workerData: data });
      worker.on("message", (message: { from: number; rows: SealedContact[] }) => {
        const range = Math.floor(message.from / this.rangeSize);
        const waiter = this.waiting.get(range);
        this.waiting.delete(range);
        waiter?.resolve(message.rows);
      });
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`a seal worker exited with ${code}`));
      });
      return worker;
    });
  }

  private fail(error: Error) {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }

  private request(range: number, total: number) {
    const from = range * this.rangeSize;
    const to = Math.min(total, from + this.rangeSize);
    const promise = new Promise<SealedContact[]>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.waiting.set(range, { resolve, reject });
    });
    // Keep the rejection for next(): an unawaited one must not crash the process first.
    promise.catch(() => {});
    this.inFlight.set(range, promise);
    (this.workers[range % this.workers.length] as Worker).postMessage({ from, to } satisfies SealRequest);
  }

  /** The next range of sealed contacts, in order; [] when all `total` were yielded. */
  async next(total: number): Promise<SealedContact[]> {
    const ranges = Math.ceil(total / this.rangeSize);
    while (this.nextToRequest < ranges && this.nextToRequest < this.nextToYield + this.ahead) {
      this.request(this.nextToRequest++, total);
    }
    if (this.nextToYield >= ranges) return [];
    const range = this.nextToYield++;
    const rows = await this.inFlight.get(range);
    this.inFlight.delete(range);
    return rows ?? [];
  }

  async close() {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

const AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0", "curl/8.5.0", "python-httpx/0.27", "gatehouse-cli"];
const IPS = Array.from({ length: 5_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);

/** Roughly what a busy install records (weights), beyond one user.create per user. */
const ACTIONS: Array<[string, number]> = [
  ["contact.create", 45],
  ["contact.update", 20],
  ["session.login", 14],
  ["session.login_failed", 6],
  ["session.logout", 5],
  ["access.unauthenticated", 4],
  ["access.forbidden", 2],
  ["ratelimit.rejected", 4],
];
const ACTION_TABLE = ACTIONS.flatMap(([action, weight]) => Array.from({ length: weight }, () => action));

/** A small deterministic PRNG, so two runs build the same shape of data. */
function prng(seed: number) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

/** Definitions of a table's secondary indexes and triggers, as the migrations left them. */
function deferredObjects(db: SqliteDb, table: string): Array<{ type: string; name: string; sql: string }> {
  return db.$client
    .prepare(
      "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
    )
    .all(table) as Array<{ type: string; name: string; sql: string }>;
}

export async function generateLargeData(
  svc: { db: SqliteDb; keyring: Keyring },
  options: LargeDataOptions,
): Promise<LargeDataResult> {
  const { db, keyring } = svc;
  const sqlite = db.$client;
  const batch = options.batch ?? 10_000;
  const progress = options.onProgress ?? (() => {});
  const started = performance.now();
  const rand = prng(0x9e3779b9);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;

  const end = Date.now() - 3_600_000;
  const start = end - SPAN_DAYS * DAY_MS;
  const passwordHash = await hashPassword(randomBytes(24).toString("base64url"));

  sqlite.pragma("synchronous = OFF");
  sqlite.pragma("cache_size = -65536"); // 64 MiB, for the index builds
  const deferred = [...deferredObjects(db, "contacts"), ...deferredObjects(db, "audit_log")];
  for (const item of deferred) sqlite.exec(`DROP ${item.type.toUpperCase()} "${item.name}"`);

  const insertUser = sqlite.prepare(
    `INSERT INTO users (id, email, name, role, password_hash, must_change_password, disabled_at, password_changed_at, created_at, updated_at)
     VALUES (?, ?, ?, 'member', ?, 0, NULL, ?, ?, ?)`,
  );
  const insertContact = sqlite.prepare(
    `INSERT INTO contacts (id, owner_id, name, email, phone, notes, email_index, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertAudit = sqlite.prepare(
    `INSERT INTO audit_log (id, at, actor_kind, actor_id, action, target_type, target_id, outcome, ip, user_agent, request_id, detail, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const head = sqlite.prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").get() as
    | { seq: number; hash: string }
    | undefined;
  const firstNewSeq = (head?.seq ?? 0) + 1;
  // An empty head hash is a row from before the chain existed: start from genesis (as recordAudit does).
  let prev = head?.hash || GENESIS_HASH;

  const audit = (content: Omit<ChainedContent, "detail">, detail: Record<string, unknown> | null) => {
    const row: ChainedContent = {
      ...content,
      // Exactly what recordAudit stores: redacted, canonical JSON.
      detail: detail ? JSON.stringify(canonicalize(redactRecord(detail))) : null,
    };
    const hash = entryHash(prev, row);
    insertAudit.run(
      row.id,
      row.at,
      row.actorKind,
      row.actorId,
      row.action,
      row.targetType,
      row.targetId,
      row.outcome,
      row.ip,
      row.userAgent,
      row.requestId,
      row.detail,
      prev,
      hash,
    );
    prev = hash;
  };

  // Users, each with its user.create entry (by the CLI), in the first minutes of the span.
  const userIds: string[] = [];
  const userEmails: string[] = [];
  sqlite.transaction(() => {
    for (let u = 0; u < options.users; u++) {
      const id = newId("user");
      const email = `bench-user-${u}@example.com`;
      const at = start + u * 1000;
      insertUser.run(id, email, `Bench user ${u}`, passwordHash, at, at, at);
      audit(
        {
          id: newId("audit"),
          at,
          actorKind: "cli",
          actorId: null,
          action: "user.create",
          targetType: "user",
          targetId: id,
          outcome: "success",
          ip: null,
          userAgent: "gatehouse-cli",
          requestId: "cli",
        },
        { email, role: "member" },
      );
      userIds.push(id);
      userEmails.push(email);
    }
  })();

  // Contacts (sealed by the workers) and the rest of the audit log, merged in time order.
  const workerCount = Math.max(1, Math.min(4, os.availableParallelism() - 1));
  const sealers = new Sealers(
    workerCount,
    { env: options.env, userIds, contacts: options.contacts, start },
    batch,
    workerCount * 2 + 1,
  );
  const auditLeft = options.audit - options.users;
  const auditAt = (i: number) => start + DAY_MS + Math.floor((i * (SPAN_DAYS - 1) * DAY_MS) / auditLeft);
  // The last contacts written (a ring), for the contact.* entries.
  const RECENT = 4096;
  const recent: Array<{ id: string; owner: number }> = [];
  let newest = -1;
  let sealed: SealedContact[] = [];
  let sealedPos = 0;
  let n = 0;
  let i = 0;
  const total = options.contacts + auditLeft;

  const writeContact = () => {
    const row = sealed[sealedPos++] as SealedContact;
    insertContact.run(...row);
    newest = (newest + 1) % RECENT;
    recent[newest] = { id: row[0], owner: n % options.users };
    n++;
  };
  const writeAudit = () => {
    const at = auditAt(i);
    let action = pick(ACTION_TABLE);
    if (action.startsWith("contact.") && recent.length === 0) action = "session.login";
    const contact = recent.length > 0 ? (action === "contact.create" ? recent[newest] : pick(recent)) : undefined;
    const user = contact ? contact.owner : Math.floor(rand() * options.users);
    const userId = userIds[user] as string;
    const base = {
      id: newId("audit"),
      at,
      actorKind: "user",
      actorId: userId as string | null,
      action,
      targetType: null as string | null,
      targetId: null as string | null,
      outcome: "success",
      ip: pick(IPS),
      userAgent: pick(AGENTS),
      requestId: newId("request"),
    };
    let detail: Record<string, unknown> | null = null;
    switch (action) {
      case "contact.create":
        Object.assign(base, { targetType: "contact", targetId: contact?.id ?? null });
        break;
      case "contact.update":
        Object.assign(base, { targetType: "contact", targetId: contact?.id ?? null });
        detail = { fields: rand() < 0.5 ? ["notes"] : ["name", "phone"] };
        break;
      case "session.login":
      case "session.logout":
        Object.assign(base, { targetType: "session", targetId: newId("session") });
        break;
      case "session.login_failed":
        Object.assign(base, { actorKind: "anonymous", actorId: null, outcome: "failure" });
        detail = { email: userEmails[user], reason: "unknown_user" };
        break;
      default:
        // Aggregated refusals (server/audit/aggregate.ts): one entry per group.
        Object.assign(base, {
          actorKind: action === "access.unauthenticated" ? "anonymous" : "user",
          actorId: action === "access.unauthenticated" ? null : userId,
          outcome: "denied",
        });
        detail = {
          aggregated: true,
          count: 1 + Math.floor(rand() * 50),
          status: action === "ratelimit.rejected" ? 429 : action === "access.forbidden" ? 403 : 401,
          procedure: "contacts.list",
        };
    }
    audit(base, detail);
    i++;
  };
  const load = sqlite.transaction((count: number) => {
    for (let k = 0; k < count; k++) {
      const contactNext =
        n < options.contacts && (i >= auditLeft || contactTime(start, options.contacts, n) <= auditAt(i));
      if (contactNext) writeContact();
      else writeAudit();
    }
  });
  let waitedMs = 0;
  try {
    let lastReport = 0;
    for (let done = 0; done < total; done += batch) {
      const count = Math.min(batch, total - done);
      // At most `count` contacts in this transaction: have that many sealed (or all that are left).
      while (sealed.length - sealedPos < count && n + (sealed.length - sealedPos) < options.contacts) {
        const waitStarted = performance.now();
        const more = await sealers.next(options.contacts);
        waitedMs += performance.now() - waitStarted;
        sealed = sealed.slice(sealedPos).concat(more);
        sealedPos = 0;
      }
      load(count);
      if (performance.now() - lastReport > 5_000 || done + count >= total) {
        lastReport = performance.now();
        progress(
          `${((performance.now() - started) / 1000).toFixed(0)} s: contacts ${n.toLocaleString("en")}, audit entries ${(options.users + i).toLocaleString("en")}`,
        );
      }
    }
  } finally {
    await sealers.close();
  }
  const rowsSeconds = (performance.now() - started) / 1000;

  progress("building the indexes and the full-text index");
  const indexesStarted = performance.now();
  for (const item of deferred) sqlite.exec(item.sql);
  sqlite
    .prepare(
      "INSERT INTO audit_search(rowid, detail) SELECT seq, detail FROM audit_log WHERE seq >= ? AND detail IS NOT NULL",
    )
    .run(firstNewSeq);
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("wal_checkpoint(TRUNCATE)");
  const indexesSeconds = (performance.now() - indexesStarted) / 1000;

  // Check: a sample of the rows opens with the folder's keyring (openContactFields throws otherwise).
  const byRowid = sqlite.prepare("SELECT id, email, phone, notes FROM contacts WHERE rowid = ?");
  const maxRowid = (sqlite.prepare("SELECT max(rowid) AS m FROM contacts").get() as { m: number }).m;
  for (let k = 0; k < 1000; k++) {
    const row = byRowid.get(1 + Math.floor(rand() * maxRowid)) as ContactRow | undefined;
    if (!row) continue;
    if (!idPattern("contact").test(row.id)) throw new Error(`malformed contact id ${row.id}`);
    openContactFields(keyring, row);
  }

  const file = sqlite.name;
  const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
  return {
    users: options.users,
    contacts: n,
    audit: options.users + i,
    sealWorkers: workerCount,
    seconds: {
      rows: Number(rowsSeconds.toFixed(1)),
      waitingForSeals: Number((waitedMs / 1000).toFixed(1)),
      indexes: Number(indexesSeconds.toFixed(1)),
      total: Number(((performance.now() - started) / 1000).toFixed(1)),
    },
    databaseMegabytes: Math.round((size(file) + size(`${file}-wal`)) / 1e6),
  };
}
