/**
 * What field-level encryption costs: `npx tsx scripts/bench-crypto.ts`
 * (or `npm run bench:crypto`).
 *
 * Measures, on an in-memory SQLite database with the real migrations:
 *  - sealing and opening one value (AES-256-GCM, padded, with associated data);
 *  - one page of 20 contacts through the contacts service: the query alone
 *    (rows as stored) versus the full listContacts (query + 60 opens);
 *  - an exact lookup by email through the blind index (HMAC per key + indexed query).
 * Each figure is the median and 95th percentile of many timed repetitions
 * after a warm-up. Results go to stdout as a table and as JSON (--json).
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import { desc, eq } from "drizzle-orm";
import { openDatabase } from "../db";
import { contacts } from "../db/schema";
import { open, seal } from "../server/crypto/envelope";
import { newKeySetEntry } from "../server/crypto/key-set";
import { staticKeyring } from "../server/crypto/keyring";
import { SYSTEM_ACTOR } from "../server/services/audit";
import { createContact, listContacts } from "../server/services/contacts";
import { createUser } from "../server/services/users";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2_000);

function measure(label: string, rounds: number, fn: () => unknown) {
  for (let i = 0; i < Math.min(200, rounds); i++) fn(); // warm-up: JIT, statement cache
  const samples = new Float64Array(rounds);
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    fn();
    samples[i] = performance.now() - t0;
  }
  samples.sort();
  const at = (q: number) => samples[Math.min(rounds - 1, Math.floor(q * rounds))] as number;
  return {
    label,
    rounds,
    medianUs: Math.round(at(0.5) * 1000 * 10) / 10,
    p95Us: Math.round(at(0.95) * 1000 * 10) / 10,
  };
}

async function main() {
  const keyring = staticKeyring(
    { activeKeyId: "k2", keys: [newKeySetEntry("k2", new Date()), newKeySetEntry("k1", new Date())] },
    "memory",
  );
  const db = openDatabase(":memory:");
  const clock = { now: () => new Date() };
  const client = { ip: null, userAgent: null, requestId: "bench" };
  const svc = { db, clock, actor: SYSTEM_ACTOR, client, keyring };
  const owner = await createUser(svc, { email: "bench@example.com", role: "member", password: "bench-password-0001" });
  for (let i = 0; i < 1_000; i++) {
    await createContact(svc, owner.id, {
      name: `Person ${i}`,
      email: `person${i}@example.com`,
      phone: `+4144668${String(1000 + i).padStart(4, "0")}`,
      notes: `Met at the conference in ${2000 + (i % 25)}; follow up about the proposal. `.repeat(3),
    });
  }

  const ref = { table: "contacts", column: "email", rowId: "con_aaaaaaaaaaaaaaaaaaaa" };
  const sealed = seal(keyring, ref, "person42@example.com");
  const results = [
    measure("seal one email", ROUNDS * 10, () => seal(keyring, ref, "person42@example.com")),
    measure("open one email", ROUNDS * 10, () => open(keyring, ref, sealed)),
    measure("page of 20: query only (rows as stored)", ROUNDS, () =>
      db
        .select()
        .from(contacts)
        .where(eq(contacts.ownerId, owner.id))
        .orderBy(desc(contacts.createdAt), desc(contacts.id))
        .limit(21)
        .all(),
    ),
    measure("page of 20: listContacts (query + 60 opens)", ROUNDS, () => listContacts(svc, owner.id, { limit: 20 })),
    measure("lookup by email (blind index, 2 keys in the ring)", ROUNDS, () =>
      listContacts(svc, owner.id, { limit: 20, email: "Person500@example.com" }),
    ),
  ];
  const queryOnly = results[2]?.medianUs ?? 0;
  const full = results[3]?.medianUs ?? 0;
  const environment = {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100),
    rows: 1_000,
  };
  if (process.argv.includes("--json")) {
    process.stdout.write(`${JSON.stringify({ environment, results }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `node ${environment.node}, ${environment.cpu} x${environment.cores}, load ${environment.loadAverage.join(" ")}\n\n`,
  );
  process.stdout.write(`${"measurement".padEnd(52)}${"median".padStart(12)}${"p95".padStart(12)}\n`);
  for (const r of results) {
    process.stdout.write(`${r.label.padEnd(52)}${`${r.medianUs} µs`.padStart(12)}${`${r.p95Us} µs`.padStart(12)}\n`);
  }
  process.stdout.write(`\ndecryption adds ${Math.round((full - queryOnly) * 10) / 10} µs to a page of 20 (median)\n`);
}

await main();
