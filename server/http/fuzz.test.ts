import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { ALL_SCOPES } from "../auth/scopes";
import { DEFAULT_RATE_LIMIT_CONFIG } from "../ratelimit/config";
import type { Runtime } from "../runtime";
import { SYSTEM_ACTOR } from "../services/audit";
import { getContact } from "../services/contacts";
import { addCorsOrigin } from "../services/cors-origins";
import { createClient } from "../services/oauth-clients";
import { createToken } from "../services/tokens";
import {
  EXTRA_KEYS,
  hostileValue,
  type JsonSchema,
  nested,
  RAW_BODIES,
  validObject,
  validValue,
} from "../testing/fuzz-inputs";
import { createTestRuntime, seedUser, testKeyring } from "../testing/harness";
import { buildOpenApiDocument } from "./openapi";
import { handleRest } from "./rest-handler";

/**
 * Fuzzes EVERY operation of the OpenAPI document over real HTTP: a plain
 * node:http server forwarding to the REST door (handleRest) on a file
 * database, a valid API token with every scope, and for each operation
 * FUZZ_RUNS requests built from its schema — valid, nearly valid, and
 * hostile (wrong types, boundary lengths, huge numbers, NaN-like strings, SQL
 * and script fragments, deep nesting, unicode edge cases, missing and extra
 * fields, broken JSON, wrong content types). It asserts:
 *
 *  - no response is a 5xx;
 *  - every 4xx is application/problem+json with a consistent status, and
 *    echoes no more than a short excerpt of any long input value;
 *  - a request that is refused (4xx), and any GET, changes no data;
 *  - at the end the database holds exactly the rows the accepted (2xx)
 *    requests created, with the values they were given.
 *
 * A second pass sends the same kinds of requests to every admin operation with an admin token:
 * no 5xx, problem+json 4xx, and no change from a refused request or a read.
 *
 * Bounded in the normal suite (FUZZ_RUNS, default 120 per operation);
 * `npm run fuzz` runs it with many more (FUZZ_RUNS=2000) and a random seed
 * (FUZZ_SEED to replay one).
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/**
 * In the normal suite each operation also gets a time budget, so the whole
 * file stays under a minute even on a slow, busy CI machine; it must still
 * reach MIN_RUNS per operation. `npm run fuzz` has no budget.
 */
const BUDGET_MS = process.env.FUZZ_RUNS ? 0 : Number(process.env.FUZZ_BUDGET_MS ?? 3_500);
const MIN_RUNS = 60;
/**
 * The admin API has four times as many operations, some slow by design (argon2 for a password, a
 * staged key rotation of about two seconds): a fixed number of runs each rather than a time budget,
 * fewer for a rotation.
 */
const ADMIN_RUNS = process.env.FUZZ_RUNS ? RUNS : 25;
const runsOf = (name: string) => (name.endsWith("/encryption/rotate") ? Math.min(ADMIN_RUNS, 4) : ADMIN_RUNS);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : process.env.FUZZ_RUNS ? Date.now() : 7;
/** URL-borne values are bounded by the HTTP server's header limit (16 KB in Node), not by the application. */
const MAX_URL_VALUE = 4_000;
/** An error body may quote at most this much of any input value (fieldIssues cuts at 120 characters). */
const ECHO_LIMIT = 150;
const PORTS = { first: 3700, last: 3799 };

interface Parameter {
  name: string;
  in: "path" | "query";
  required: boolean;
  schema: JsonSchema;
}

interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body: JsonSchema | null;
}

/** One generated request, before the pools of existing ids are consulted. */
interface Draft {
  /** An existing record (index into the pool), a value to percent-encode, or a raw, already-encoded segment. */
  pathValues: Record<string, { existing: number } | { value: string } | { raw: string }>;
  query: Array<[string, string]>;
  body: { json: unknown } | { raw: string } | null;
  contentType: string | null;
  label: string;
}

type Components = Record<string, JsonSchema>;

/** The operations of the document whose path `include` accepts, in the order the fuzzer sends them. */
function operationsOf(doc: ReturnType<typeof buildOpenApiDocument>, include: (path: string) => boolean): Operation[] {
  const ops: Operation[] = [];
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    if (!include(p)) continue;
    for (const [method, raw] of Object.entries(item as Record<string, unknown>)) {
      const op = raw as {
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
      };
      ops.push({
        method: method.toUpperCase(),
        path: p,
        parameters: (op.parameters ?? []).filter((x) => x.in === "path" || x.in === "query"),
        body: op.requestBody?.content?.["application/json"]?.schema ?? null,
      });
    }
  }
  // Creations first, so that later operations find existing records to work on; the
  // operations that wipe out many records (revoke everything) last.
  const rank = (op: Operation) =>
    op.path.endsWith("/revoke-all")
      ? 3
      : op.method === "DELETE" || op.path.endsWith("/revoke")
        ? 2
        : op.method === "POST" && !op.path.includes("{")
          ? 0
          : 1;
  return ops.sort((a, b) => rank(a) - rank(b));
}

/** Percent-encodes the UTF-8 bytes of a string (a lone surrogate becomes U+FFFD, as a client would send it). */
function percentEncode(value: string): string {
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const RAW_PATH_SEGMENTS = [
  "%",
  "%Z",
  "%ZZ",
  "%ED%A0%80",
  "%C0%AF",
  "%FF%FE",
  "%2F",
  "..%2F..%2F",
  "%2E%2E",
  "%00",
  "con_aaaaaaaaaaaaaaaaaaaa%00",
  "%25",
  "a;b",
  "a,b",
];

function asQueryText(value: unknown): string {
  return typeof value === "string"
    ? value
    : typeof value === "number" || typeof value === "boolean" || value === null
      ? String(value)
      : JSON.stringify(value);
}

function draftArbitrary(op: Operation, components: Components): fc.Arbitrary<Draft> {
  const pathParams = op.parameters.filter((p) => p.in === "path");
  const queryParams = op.parameters.filter((p) => p.in === "query");

  const pathValue = (p: Parameter) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.nat().map((n) => ({ existing: n })) },
      { weight: 1, arbitrary: validValue(p.schema, components).map((v) => ({ value: asQueryText(v) })) },
      {
        weight: 4,
        arbitrary: hostileValue(p.schema, components)
          .map(asQueryText)
          .filter((v) => v.length <= MAX_URL_VALUE)
          .map((value) => ({ value })),
      },
      // Bytes no encoder would produce: bad escapes, encoded surrogates and overlongs, encoded separators.
      { weight: 1, arbitrary: fc.constantFrom(...RAW_PATH_SEGMENTS).map((raw) => ({ raw })) },
    );
  const pathValues = fc.record(Object.fromEntries(pathParams.map((p) => [p.name, pathValue(p)])));

  const queryValue = (p: Parameter) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: validValue(p.schema, components).map(asQueryText) },
      {
        weight: 4,
        arbitrary: hostileValue(p.schema, components)
          .map(asQueryText)
          .filter((v) => v.length <= MAX_URL_VALUE),
      },
    );
  const query = fc
    .tuple(
      fc.tuple(...queryParams.map((p) => queryValue(p).map((v) => [p.name, v] as const))),
      fc.oneof(
        { weight: 12, arbitrary: fc.constant([] as Array<[string, string]>) },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(...EXTRA_KEYS.filter((k) => k.length < 100))
            .map((k) => [[k, "1"]] as Array<[string, string]>),
        },
        ...(queryParams.length
          ? [
              {
                weight: 1,
                arbitrary: fc.constantFrom(...queryParams).map(
                  (p) =>
                    [
                      [p.name, "1"],
                      [p.name, "2"],
                    ] as Array<[string, string]>,
                ),
              },
            ]
          : []),
      ),
    )
    .map(([known, extra]) => [
      ...known
        .filter((kv): kv is readonly [string, string] => kv[1] !== undefined)
        .map(([k, v]) => [k, v] as [string, string]),
      ...extra,
    ]);

  let body: fc.Arbitrary<{ draft: Draft["body"]; label: string }> = fc.constant({ draft: null, label: "no body" });
  if (op.body) {
    const schema = op.body;
    const valid = validObject(schema, components);
    const fields = Object.keys(schema.properties ?? {});
    const oneFieldWrong =
      fields.length > 0
        ? fc.tuple(valid, fc.constantFrom(...fields)).chain(([obj, field]) =>
            hostileValue(schema.properties?.[field] ?? {}, components).map((bad) => ({
              draft: { json: { ...obj, [field]: bad } },
              label: `field ${field} hostile`,
            })),
          )
        : valid.map((obj) => ({ draft: { json: obj }, label: "valid (no fields)" }));
    body = fc.oneof(
      { weight: 3, arbitrary: valid.map((obj) => ({ draft: { json: obj }, label: "valid" })) },
      { weight: 6, arbitrary: oneFieldWrong },
      {
        weight: 1,
        arbitrary: fc.tuple(valid, fc.constantFrom(...(schema.required ?? ["(none)"]))).map(([obj, drop]) => {
          const { [drop]: _dropped, ...rest } = obj;
          return { draft: { json: rest }, label: `missing ${drop}` };
        }),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(valid, fc.constantFrom(...EXTRA_KEYS), fc.jsonValue({ maxDepth: 2 }))
          .map(([obj, key, value]) => {
            // JSON.parse makes "__proto__" an own property, as an attacker's body would.
            const withExtra = JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
            Object.defineProperty(withExtra, key, { value, enumerable: true, configurable: true, writable: true });
            return { draft: { json: withExtra }, label: `extra key ${key.slice(0, 20)}` };
          }),
      },
      {
        weight: 2,
        arbitrary: fc
          .oneof(
            hostileValue({}, components),
            fc.integer({ min: 20, max: 200 }).chain((d) => nested(d)),
          )
          .map((json) => ({ draft: { json }, label: "hostile body" })),
      },
      { weight: 2, arbitrary: fc.constantFrom(...RAW_BODIES).map((raw) => ({ draft: { raw }, label: "raw body" })) },
    );
  }
  const contentType = fc.oneof(
    { weight: 12, arbitrary: fc.constant("application/json") },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        null,
        "text/plain",
        "application/json; charset=utf-16",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "APPLICATION/JSON",
      ),
    },
  );
  return fc
    .record({ pathValues, query, body, contentType })
    .map(({ pathValues: pv, query: q, body: b, contentType: ct }) => ({
      pathValues: pv,
      query: q,
      body: b.draft,
      contentType: ct,
      label: b.label,
    }));
}

/** Every string (and key) of a value, to check that an error body does not echo long ones. */
function longStrings(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 50) return out;
  if (typeof value === "string" && value.length > ECHO_LIMIT) out.push(value);
  else if (Array.isArray(value)) for (const v of value.slice(0, 50)) longStrings(v, out, depth + 1);
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k.length > ECHO_LIMIT) out.push(k);
      longStrings(v, out, depth + 1);
    }
  }
  return out;
}

describe("fuzzing every REST operation over real HTTP", () => {
  let dir: string;
  let runtime: Runtime;
  let server: http.Server;
  let base: string;
  let ownerId: string;
  let token: { id: string; secret: string };
  const minted = new Set<string>();

  async function mintToken() {
    const created = await createToken(
      {
        db: runtime.db,
        clock: runtime.clock,
        actor: SYSTEM_ACTOR,
        client: { ip: null, userAgent: null, requestId: "fuzz" },
      },
      ownerId,
      { name: "fuzz", scopes: ALL_SCOPES },
    );
    token = { id: created.id, secret: created.token };
    minted.add(created.id);
  }

  beforeAll(async () => {
    // As in production (scripts/server.mjs sets it): outside production, trpc-to-openapi
    // regenerates the whole OpenAPI document on every request to validate the router,
    // which costs ~10 ms a request and would only slow the fuzzer down.
    (process.env as Record<string, string>).NODE_ENV = "production";
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-fuzz-"));
    const file = path.join(dir, "gatehouse.db");
    const lenient = { limit: 10_000_000, windowMs: 60_000 };
    const base0 = createTestRuntime({
      dataDir: dir,
      databaseFile: file,
      // The fuzzer is one busy client: rate limits would turn most of its requests into 429s.
      rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, api: lenient, anon: lenient, sensitive: lenient },
    });
    runtime = { ...base0, db: openDatabase(file), keyring: testKeyring() };
    const admin = await seedUser(runtime, "fuzz-admin@example.com", "admin");
    ownerId = admin.user.id;
    await mintToken();

    server = http.createServer(async (req, res) => {
      try {
        const headers = new Headers();
        for (let i = 0; i < req.rawHeaders.length; i += 2)
          headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
        const hasBody = !["GET", "HEAD"].includes(req.method ?? "GET");
        const request = new Request(`http://127.0.0.1${req.url}`, {
          method: req.method,
          headers,
          body: hasBody ? (Readable.toWeb(req) as ReadableStream) : undefined,
          duplex: "half",
        } as RequestInit);
        const response = await handleRest(request, runtime);
        // The whole body first: a stream that fails half-way (a streamed export) must be caught below.
        const body = Buffer.from(await response.arrayBuffer());
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(body);
      } catch (error) {
        // An exception escaping the REST door: exactly what the test must catch.
        res.writeHead(599, { "content-type": "text/plain" });
        res.end(`unhandled: ${(error as Error).name}: ${(error as Error).message}`);
      }
    });
    // Between two operations the fuzzer may be busy generating for a while: an idle keep-alive
    // connection closed by the server meanwhile would fail the next request (ECONNRESET) for no fault
    // of the server under test.
    server.keepAliveTimeout = 120_000;
    for (let port = PORTS.first; ; port++) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(port, "127.0.0.1", () => resolve());
        });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || port >= PORTS.last) throw error;
      }
    }
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  }, 60_000);

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (runtime) sqliteOf(runtime.db).close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Sends one drafted request with the fuzzer's token; `existing(n)` names a record that exists now.
   * Checks what holds for every answer: no 5xx; a 4xx is problem+json with its status, and quotes
   * no more than a short excerpt of any long input.
   */
  async function send(op: Operation, draft: Draft, existing: (n: number, param: string) => string) {
    let url = op.path;
    for (const [name, choice] of Object.entries(draft.pathValues)) {
      const segment =
        "existing" in choice
          ? encodeURIComponent(existing(choice.existing, name))
          : "raw" in choice
            ? choice.raw
            : percentEncode(choice.value);
      url = url.replace(`{${name}}`, segment);
    }
    const qs = new URLSearchParams(draft.query).toString();
    const headers: Record<string, string> = { authorization: `Bearer ${token.secret}` };
    if (draft.contentType) headers["content-type"] = draft.contentType;
    const sendsBody = op.method !== "GET" && op.method !== "HEAD" && draft.body !== null;
    const bodyText =
      !sendsBody || !draft.body ? undefined : "raw" in draft.body ? draft.body.raw : JSON.stringify(draft.body.json);
    const response = await fetch(`${base}${url}${qs ? `?${qs}` : ""}`, { method: op.method, headers, body: bodyText });
    const text = await response.text();
    const status = response.status;
    const where = `${op.method} ${url}${qs ? `?${qs.slice(0, 200)}` : ""} [${draft.label}] -> ${status}: ${text.slice(0, 300)}`;
    expect(status, where).toBeLessThan(500);
    if (status >= 400) {
      expect(response.headers.get("content-type"), where).toBe("application/problem+json");
      const problem = JSON.parse(text) as { type?: unknown; title?: unknown; status?: unknown };
      expect(problem.status, where).toBe(status);
      expect(typeof problem.type, where).toBe("string");
      expect(typeof problem.title, where).toBe("string");
      const inputs = [
        ...draft.query.map(([, v]) => v),
        ...Object.values(draft.pathValues).flatMap((c) => ("value" in c ? [c.value] : "raw" in c ? [c.raw] : [])),
        ...(draft.body && "json" in draft.body ? longStrings(draft.body.json) : []),
        ...(draft.body && "raw" in draft.body ? [draft.body.raw] : []),
      ].filter((v) => v.length > ECHO_LIMIT);
      for (const input of inputs)
        expect(text.includes(input.slice(0, ECHO_LIMIT)), `${where}: echoes its input`).toBe(false);
    }
    return { status, text, url, where };
  }

  /**
   * fast-check's time budget (interruptAfterTimeLimit) races a running async property against the
   * clock and moves on without waiting for it: the request in flight would then overlap the next
   * operation's first one (and the digest taken around it). Every run is remembered here and
   * awaited before the next operation starts.
   */
  let inFlight: Promise<unknown> = Promise.resolve();
  function tracked<T>(run: (draft: Draft) => Promise<T>) {
    return (draft: Draft) => {
      const running = run(draft);
      inFlight = running.catch(() => undefined);
      return running;
    };
  }

  /** The fuzzer's own token, replaced when an accepted request revoked it (revoke-all, a user's tokens). */
  async function keepOwnToken() {
    const mine = sqliteOf(runtime.db)
      .prepare("select revoked_at, grace_until from api_tokens where id = ?")
      .get(token.id) as {
      revoked_at: number | null;
      grace_until: number | null;
    };
    if (mine.revoked_at !== null || mine.grace_until !== null) await mintToken();
  }

  /** A digest of every data table (not the audit log, counters or last-used stamps, which refused calls may touch). */
  function dataDigest(): string {
    const sqlite = sqliteOf(runtime.db);
    const rows = [
      sqlite
        .prepare("select id, owner_id, name, email, phone, notes, email_index, updated_at from contacts order by id")
        .all(),
      sqlite
        .prepare(
          "select id, user_id, name, token_hash, scopes, expires_at, revoked_at, revoked_reason, replaced_by_id, grace_until from api_tokens order by id",
        )
        .all(),
      sqlite.prepare("select id, email, role, password_hash, disabled_at, updated_at from users order by id").all(),
      sqlite.prepare("select id from sessions order by id").all(),
      sqlite.prepare("select id, status, done from reencryption_jobs order by id").all(),
    ];
    return createHash("sha256").update(JSON.stringify(rows)).digest("hex");
  }

  it(
    `sends up to ${RUNS} hostile requests to every operation: no 5xx, problem+json 4xx, no change from refused requests`,
    async () => {
      const doc = buildOpenApiDocument("http://127.0.0.1");
      const components = (doc.components?.schemas ?? {}) as Components;
      // The admin API has its own pass below (its operations change users, roles and keys).
      const ops = operationsOf(doc, (p) => !p.startsWith("/admin/"));
      expect(ops.length).toBeGreaterThanOrEqual(10);

      // The model: what the accepted requests say the database must hold.
      const contacts = new Map<string, { name: string; email: string; phone: string | null; notes: string | null }>();
      const tokens = new Set<string>();
      const pools: Record<string, string[]> = { contact: [], token: [] };
      const tally = new Map<string, Record<string, number>>();

      for (const op of ops) {
        const opName = `${op.method} ${op.path}`;
        const counts: Record<string, number> = {};
        tally.set(opName, counts);
        await fc.assert(
          fc.asyncProperty(
            draftArbitrary(op, components),
            tracked(async (draft) => {
              const pool = op.path.startsWith("/tokens") ? pools.token : pools.contact;
              const before = dataDigest();
              const { status, text, url, where } = await send(op, draft, (n) =>
                pool?.length ? (pool[n % pool.length] as string) : "con_aaaaaaaaaaaaaaaaaaaa",
              );
              counts[`${Math.floor(status / 100)}xx`] = (counts[`${Math.floor(status / 100)}xx`] ?? 0) + 1;
              if (status >= 400) {
                expect(dataDigest(), `${where}: a refused request changed data`).toBe(before);
                return;
              }
              if (op.method === "GET") {
                expect(dataDigest(), `${where}: a GET changed data`).toBe(before);
                return;
              }

              // Accepted: update the model from what the server says it did.
              // A DELETE answers 204 without a body: what it removed is the id in its path.
              const result = (
                status === 204 ? { id: decodeURIComponent(url.split("/").at(-1) ?? "") } : JSON.parse(text)
              ) as Record<string, unknown>;
              if (op.path === "/contacts" && op.method === "POST") {
                const c = result as {
                  id: string;
                  name: string;
                  email: string;
                  phone: string | null;
                  notes: string | null;
                };
                contacts.set(c.id, { name: c.name, email: c.email, phone: c.phone, notes: c.notes });
                pools.contact?.push(c.id);
              } else if (op.path === "/contacts/{id}" && op.method === "PATCH") {
                const c = result as {
                  id: string;
                  name: string;
                  email: string;
                  phone: string | null;
                  notes: string | null;
                };
                expect(contacts.has(c.id), where).toBe(true);
                contacts.set(c.id, { name: c.name, email: c.email, phone: c.phone, notes: c.notes });
              } else if (op.path === "/contacts/{id}" && op.method === "DELETE") {
                contacts.delete(result.id as string);
                pools.contact = (pools.contact ?? []).filter((id) => id !== result.id);
              } else if (op.path.startsWith("/tokens")) {
                if (typeof result.token === "string" && typeof result.id === "string") {
                  tokens.add(result.id);
                  pools.token?.push(result.id);
                }
                // Revoke-all (or anything else) may have revoked the fuzzer's own token: get a new one.
                await keepOwnToken();
              }
            }),
          ),
          {
            numRuns: RUNS,
            seed: SEED,
            endOnFailure: true,
            ...(BUDGET_MS ? { interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false } : {}),
          },
        );
        await inFlight;
      }

      // Every operation was reached and answered both ways (the fuzzer is not just bouncing off one check).
      for (const [opName, counts] of tally) {
        const sent = Object.values(counts).reduce((a, b) => a + b, 0);
        expect(sent, `${opName}: only ${sent} requests within the time budget`).toBeGreaterThanOrEqual(
          Math.min(MIN_RUNS, RUNS),
        );
        expect(counts["5xx"] ?? 0, opName).toBe(0);
        expect(counts["4xx"] ?? 0, `${opName} never refused anything`).toBeGreaterThan(0);
        expect(counts["2xx"] ?? 0, `${opName} never accepted anything: ${JSON.stringify(counts)}`).toBeGreaterThan(0);
      }

      // The database holds exactly what the accepted requests created, with their values.
      const svc = {
        db: runtime.db,
        clock: runtime.clock,
        keyring: runtime.keyring,
        actor: SYSTEM_ACTOR,
        client: { ip: null, userAgent: null, requestId: "check" },
      };
      const stored = sqliteOf(runtime.db).prepare("select id from contacts order by id").all() as Array<{ id: string }>;
      expect(stored.map((r) => r.id).sort()).toEqual([...contacts.keys()].sort());
      for (const [id, expected] of contacts) expect(await getContact(svc, ownerId, id)).toMatchObject(expected);
      const storedTokens = sqliteOf(runtime.db).prepare("select id from api_tokens").all() as Array<{ id: string }>;
      expect(new Set(storedTokens.map((r) => r.id))).toEqual(new Set([...minted, ...tokens]));
      expect(sqliteOf(runtime.db).prepare("select count(*) as n from users").get()).toEqual({ n: 1 });
      // seedUser's session, unless an accepted "revoke everything" ended it.
      const revokedAll = (tally.get("POST /tokens/revoke-all")?.["2xx"] ?? 0) > 0;
      expect(sqliteOf(runtime.db).prepare("select count(*) as n from sessions").get()).toEqual({
        n: revokedAll ? 0 : 1,
      });
      if (process.env.FUZZ_RUNS || process.env.FUZZ_REPORT) console.log(JSON.stringify(Object.fromEntries(tally)));
    },
    Math.max(120_000, RUNS * 1_500),
  );

  /**
   * The records an admin operation's path parameter can name, read from the database before each
   * request — never the fuzzer's own user, its sessions or tokens, so it keeps its admin token.
   */
  function adminTargets(path: string, param: string): string[] {
    const sqlite = sqliteOf(runtime.db);
    const ids = (sql: string) => (sqlite.prepare(sql).all(ownerId) as Array<{ id: string }>).map((r) => r.id);
    if (param === "sessionId") return ids("select id from sessions where user_id != ? order by id");
    if (param === "grantId") return ids("select id from oauth_grants where user_id != ? order by id");
    if (param === "userId" || path.startsWith("/admin/users/"))
      return ids("select id from users where id != ? order by id");
    if (path.startsWith("/admin/tokens/")) return ids("select id from api_tokens where user_id != ? order by id");
    const table = {
      "/admin/cors-origins/": "cors_origins",
      "/admin/rate-limits/overrides/": "rate_limit_overrides",
      "/admin/oauth-clients/": "oauth_clients",
    };
    for (const [prefix, name] of Object.entries(table))
      if (path.startsWith(prefix)) return ids(`select id from ${name} where ? is not null order by id`);
    throw new Error(`no pool for ${param} of ${path}`);
  }

  /**
   * A digest of what the admin API administers. Not the contacts, the encryption keys or the
   * re-encryption job: an accepted re-encryption goes on in the background and changes them while
   * later requests run. Last-used and last-seen stamps change on every request.
   */
  function adminDigest(): string {
    const sqlite = sqliteOf(runtime.db);
    const volatile = new Set(["last_used_at", "last_seen_at", "last_active_at"]);
    const tables = [
      "users",
      "api_tokens",
      "sessions",
      "cors_origins",
      "rate_limit_overrides",
      "oauth_clients",
      "oauth_grants",
      "oauth_signing_keys",
    ];
    const rows = tables.map((table) => {
      const columns = (sqlite.prepare(`pragma table_info(${table})`).all() as Array<{ name: string }>)
        .map((c) => c.name)
        .filter((c) => !volatile.has(c));
      return sqlite.prepare(`select ${columns.map((c) => `"${c}"`).join(", ")} from ${table} order by rowid`).all();
    });
    return createHash("sha256").update(JSON.stringify(rows)).digest("hex");
  }

  it(
    "sends hostile requests to every admin operation with an admin token: no 5xx, problem+json 4xx, no change from refused requests or reads",
    async () => {
      const doc = buildOpenApiDocument("http://127.0.0.1");
      const components = (doc.components?.schemas ?? {}) as Components;
      const ops = operationsOf(doc, (p) => p.startsWith("/admin/"));
      expect(ops.length).toBeGreaterThanOrEqual(40);
      // People to administer from the first request on (creations add more as they are accepted).
      for (const n of [1, 2, 3]) await seedUser(runtime, `fuzz-member-${n}@example.com`);
      // And an origin and clients of each kind, for the operations on one of them (a random creation
      // is rarely accepted: origins and redirect URIs have rules of their own).
      const svc = {
        db: runtime.db,
        clock: runtime.clock,
        actor: SYSTEM_ACTOR,
        client: { ip: null, userAgent: null, requestId: "seed" },
      };
      for (const n of [1, 2]) await addCorsOrigin(svc, { origin: `https://partner-${n}.example.com`, note: "seeded" });
      await createClient(svc, {
        name: "fuzz web app",
        type: "confidential",
        redirectUris: ["https://app.example.com/callback"],
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["contacts:read"],
      });
      await createClient(svc, {
        name: "fuzz machine",
        type: "confidential",
        redirectUris: [],
        grantTypes: ["client_credentials"],
        scopes: ["contacts:read"],
      });
      const tally = new Map<string, Record<string, number>>();

      for (const op of ops) {
        const counts: Record<string, number> = {};
        tally.set(`${op.method} ${op.path}`, counts);
        await fc.assert(
          fc.asyncProperty(
            draftArbitrary(op, components),
            tracked(async (draft) => {
              const before = adminDigest();
              const { status, where } = await send(op, draft, (n, param) => {
                const pool = adminTargets(op.path, param);
                return pool.length ? (pool[n % pool.length] as string) : "usr_aaaaaaaaaaaaaaaaaaaa";
              });
              counts[`${Math.floor(status / 100)}xx`] = (counts[`${Math.floor(status / 100)}xx`] ?? 0) + 1;
              if (status >= 400) expect(adminDigest(), `${where}: a refused request changed data`).toBe(before);
              else if (op.method === "GET") expect(adminDigest(), `${where}: a GET changed data`).toBe(before);
              else await keepOwnToken();
            }),
          ),
          {
            numRuns: runsOf(`${op.method} ${op.path}`),
            seed: SEED,
            endOnFailure: true,
          },
        );
        await inFlight;
      }

      for (const [opName, counts] of tally) {
        const sent = Object.values(counts).reduce((a, b) => a + b, 0);
        expect(sent, opName).toBe(runsOf(opName));
        expect(counts["5xx"] ?? 0, opName).toBe(0);
      }
      // Some refusals and some acceptances over the whole admin API (per operation, a target may be gone).
      const sum = (bucket: string) => [...tally.values()].reduce((a, c) => a + (c[bucket] ?? 0), 0);
      expect(sum("4xx")).toBeGreaterThan(0);
      expect(sum("2xx")).toBeGreaterThan(ops.length);
      // The fuzzer's admin is still an enabled admin: nothing reached it through another id.
      expect(sqliteOf(runtime.db).prepare("select role, disabled_at from users where id = ?").get(ownerId)).toEqual({
        role: "admin",
        disabled_at: null,
      });
      if (process.env.FUZZ_RUNS || process.env.FUZZ_REPORT) console.log(JSON.stringify(Object.fromEntries(tally)));
    },
    Math.max(180_000, RUNS * 1_500),
  );
});
