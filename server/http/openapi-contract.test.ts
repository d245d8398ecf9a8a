import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_SCOPES } from "../auth/scopes";
import { RateLimiter } from "../ratelimit/limiter";
import { setLimiterFor } from "../ratelimit/runtime";
import { failingStore } from "../ratelimit/testing/stores";
import { addCorsOrigin } from "../services/cors-origins";
import { storedRows } from "../testing/harness";
import { buildOpenApiDocument, DOCUMENTED_HEADERS } from "./openapi";
import {
  type CheckedAnswer,
  checkAnswer,
  type DocumentedOperation,
  documentedOperations,
  operationFor,
} from "./testing/openapi-doc";
import { limitToken, type RestServer, serviceContextOf, startRestServer, userWithToken } from "./testing/rest-server";

/**
 * The document against the real server: every answer provoked here, over
 * real HTTP through the front (127.0.0.1, a free port), must be a status the
 * document lists for the operation, with every header it calls required,
 * no header it does not list for that status, and the documented media
 * type and body schema (checked by zod's JSON Schema reader). Each status
 * the document lists is provoked at least once somewhere below (a 500 by a
 * stored value tampered with), and a sweep runs every documented
 * operation without a credential, with one lacking the scope, and with a
 * malformed body or a well-formed unknown id.
 */

const MAX_BODY = 16 * 1024;
let server: RestServer;
let ops: DocumentedOperation[];
let alice: { token: string; tokenId: string; user: { id: string } };
let reader: { token: string; tokenId: string };
let bob: { token: string };
let tokensReader: { token: string };
let admin: { token: string };
const provoked = new Map<string, Set<string>>();

/** The success status the document gives an operation. */
function successOf(method: string, path: string): number {
  const op = ops.find((o) => o.method === method && o.path === path);
  return Number(Object.keys(op?.responses ?? {}).find((s) => s.startsWith("2")));
}

async function call(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; raw?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<CheckedAnswer & { res: Response }> {
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set("authorization", `Bearer ${opts.token}`);
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (body !== undefined) headers.set("content-type", opts.contentType ?? "application/json");
  const res = await fetch(`${server.api}${path}`, { method, headers, body });
  const op = operationFor(ops, method, path);
  if (!op) throw new Error(`${method} ${path}: no documented operation`);
  const checked = await checkAnswer(op, res.clone(), DOCUMENTED_HEADERS);
  const key = `${op.method} ${op.path}`;
  if (!provoked.has(key)) provoked.set(key, new Set());
  provoked.get(key)?.add(String(res.status));
  return { ...checked, res };
}

beforeAll(async () => {
  // The sweeps below make many anonymous calls from one address: the per-IP quota must not end them.
  server = await startRestServer({ maxBodyBytes: MAX_BODY, rateLimit: { anon: { limit: 100_000, windowMs: 60_000 } } });
  ops = documentedOperations(buildOpenApiDocument(server.origin));
  alice = await userWithToken(server.rt, "alice@example.com", [
    "contacts:read",
    "contacts:write",
    "tokens:read",
    "tokens:write",
  ]);
  reader = await userWithToken(server.rt, "reader@example.com", ["contacts:read"]);
  bob = await userWithToken(server.rt, "bob@example.com", ["contacts:read", "contacts:write"]);
  tokensReader = await userWithToken(server.rt, "tina@example.com", ["tokens:read"]);
  admin = await userWithToken(server.rt, "admin@example.com", [...ALL_SCOPES], "admin");
});
afterAll(async () => {
  await server?.close();
});

describe("the real server answers as the document says", () => {
  it("201 + Location that GETs the same record, 200, 204 without a body, then 404", async () => {
    const created = await call("POST", "/contacts", {
      token: alice.token,
      body: { name: "Ada", email: "ada@example.com" },
    });
    expect(created.status).toBe(201);
    const location = created.res.headers.get("location") ?? "";
    const id = (created.body as { id: string }).id;
    expect(location).toBe(`/api/v1/contacts/${id}`);
    const read = await call("GET", location.replace("/api/v1", ""), { token: alice.token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect((await call("PATCH", `/contacts/${id}`, { token: alice.token, body: { name: "Ada L." } })).status).toBe(200);
    expect((await call("GET", "/contacts?limit=5", { token: alice.token })).status).toBe(200);
    const deleted = await call("DELETE", `/contacts/${id}`, { token: alice.token });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    expect((await call("GET", `/contacts/${id}`, { token: alice.token })).status).toBe(404);
  });

  it("400: invalid input names each field; malformed JSON; a malformed Authorization header with its challenge; an unknown query parameter", async () => {
    const invalid = await call("POST", "/contacts", {
      token: alice.token,
      body: { name: "", email: "nope", extra: 1 },
    });
    expect(invalid.status).toBe(400);
    const body = invalid.body as { type: string; errors: Array<{ path: string }> };
    expect(body.type).toBe("urn:gatehouse:problem:invalid_input");
    expect(body.errors.map((e) => e.path).sort()).toEqual(expect.arrayContaining(["email", "name"]));

    const malformed = await call("POST", "/contacts", { token: alice.token, raw: '{"name": "A",' });
    expect([malformed.status, (malformed.body as { type: string }).type]).toEqual([
      400,
      "urn:gatehouse:problem:malformed_json",
    ]);

    const badHeader = await call("GET", "/contacts", { headers: { authorization: "Bearer a b c" } });
    expect(badHeader.status).toBe(400);
    expect(badHeader.res.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse", error="invalid_request"');

    const unknown = await call("GET", "/contacts?colour=red", { token: alice.token });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify((unknown.body as { errors: unknown[] }).errors)).toContain("colour");
  });

  it("401 without a credential and with a dead one, each with its Bearer challenge", async () => {
    const none = await call("GET", "/contacts");
    expect(none.status).toBe(401);
    expect(none.res.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse"');
    const dead = await call("GET", "/contacts", { token: `gth_${"x".repeat(40)}` });
    expect(dead.status).toBe(401);
    expect(dead.res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("403 insufficient_scope with `scopes` and the challenge; admin_required for a member", async () => {
    const denied = await call("POST", "/contacts", {
      token: reader.token,
      body: { name: "A", email: "a@example.com" },
    });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ type: "urn:gatehouse:problem:insufficient_scope", scopes: ["contacts:write"] });
    expect(denied.res.headers.get("www-authenticate")).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", scope="contacts:write"',
    );
    const adminGet = ops.find((op) => op.method === "get" && op.path.startsWith("/admin/") && !op.path.includes("{"));
    if (adminGet) expect((await call("GET", adminGet.path, { token: alice.token })).status).toBe(403);
  });

  it("404 for another user's record, never 403", async () => {
    const mine = await call("POST", "/contacts", {
      token: alice.token,
      body: { name: "Mine", email: "m@example.com" },
    });
    const id = (mine.body as { id: string }).id;
    for (const method of ["GET", "DELETE"]) {
      expect((await call(method, `/contacts/${id}`, { token: bob.token })).status, method).toBe(404);
    }
    expect((await call("PATCH", `/contacts/${id}`, { token: bob.token, body: { name: "x" } })).status).toBe(404);
  });

  it("409 where the operation declares it: rotating a token twice", async () => {
    const made = await call("POST", "/tokens", {
      token: alice.token,
      body: { name: "rotate me", scopes: ["contacts:read"] },
    });
    expect(made.status).toBe(successOf("post", "/tokens"));
    const id = (made.body as { id: string }).id;
    const rotated = await call("POST", `/tokens/${id}/rotate`, { token: alice.token, body: { graceSeconds: 0 } });
    expect(rotated.status).toBe(successOf("post", "/tokens/{id}/rotate"));
    const again = await call("POST", `/tokens/${id}/rotate`, { token: alice.token, body: {} });
    expect(again.status).toBe(409);
  });

  it("413 for a body over the cap and 415 for one that is not JSON, without rate-limit fields", async () => {
    const big = await call("POST", "/contacts", {
      token: alice.token,
      raw: JSON.stringify({ name: "x".repeat(MAX_BODY) }),
    });
    expect(big.status).toBe(413);
    const text = await call("POST", "/contacts", { token: alice.token, raw: "name=Ada", contentType: "text/plain" });
    expect(text.status).toBe(415);
  });

  it("429 with Retry-After, RateLimit, RateLimit-Policy and the violated policy", async () => {
    const limited = await userWithToken(server.rt, "limited@example.com", ["contacts:read"]);
    await limitToken(server.rt, limited.tokenId, 2);
    for (let i = 0; i < 2; i++) expect((await call("GET", "/contacts", { token: limited.token })).status).toBe(200);
    const refused = await call("GET", "/contacts", { token: limited.token });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ "violated-policies": ["api"], retryAfterSeconds: retryAfter });
  });

  it("503 with Retry-After when the limiter's store is down and the operation fails closed", async () => {
    const down = await startRestServer({
      prepare: (rt) => setLimiterFor(rt, new RateLimiter(failingStore(), rt.config.rateLimit as never)),
    });
    try {
      const { token } = await userWithToken(down.rt, "carol@example.com", ["tokens:write"]);
      const res = await fetch(`${down.api}/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "ci", scopes: ["contacts:read"] }),
      });
      const op = operationFor(ops, "POST", "/tokens") as DocumentedOperation;
      const checked = await checkAnswer(op, res, DOCUMENTED_HEADERS);
      expect(checked.status).toBe(503);
      expect(checked.body).toMatchObject({ type: "urn:gatehouse:problem:rate_limit_unavailable" });
      provoked.get("post /tokens")?.add("503");
    } finally {
      await down.close();
    }
  });
});

describe("500", () => {
  it("a stored value that does not open is a 500 problem naming why, as documented", async () => {
    const made = await call("POST", "/contacts", { token: bob.token, body: { name: "Eve", email: "eve@example.com" } });
    const id = (made.body as { id: string }).id;
    const [row] = await storedRows<{ email: string }>(server.rt.db, "select email from contacts where id = ?", id);
    const stored = row?.email ?? "";
    // One character of the sealed value changed: authentication of the ciphertext fails.
    const at = stored.length - 5;
    await storedRows(
      server.rt.db,
      "update contacts set email = ? where id = ?",
      `${stored.slice(0, at)}${stored[at] === "A" ? "B" : "A"}${stored.slice(at + 1)}`,
      id,
    );
    const broken = await call("GET", `/contacts/${id}`, { token: bob.token });
    expect(broken.status).toBe(500);
    expect(broken.body).toMatchObject({ type: "urn:gatehouse:problem:sealed_value_failed_authentication" });
    expect(broken.text).not.toContain("eve@example.com");
  });
});

describe("CORS headers", () => {
  it("an allowed Origin gets Access-Control-Allow-Origin and -Expose-Headers, on success and on error", async () => {
    await addCorsOrigin(serviceContextOf(server.rt), { origin: "https://app.example.com" });
    const origin = { origin: "https://app.example.com" };
    const ok = await call("GET", "/contacts", { token: alice.token, headers: origin });
    const refused = await call("GET", "/contacts", { headers: origin });
    for (const res of [ok, refused]) {
      expect(res.res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(res.res.headers.get("access-control-expose-headers")).toContain("Retry-After");
    }
    expect([ok.status, refused.status]).toEqual([200, 401]);
    const stranger = await call("GET", "/contacts", {
      token: alice.token,
      headers: { origin: "https://evil.example" },
    });
    expect(stranger.res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("a streamed answer", () => {
  it("the audit export is the file in a documented media type, with Content-Disposition", async () => {
    for (const [format, type] of [
      ["csv", "text/csv"],
      ["ndjson", "application/x-ndjson"],
    ]) {
      const res = await call("GET", `/admin/audit/export?format=${format}`, { token: admin.token });
      expect(res.status).toBe(200);
      expect(res.res.headers.get("content-type")?.split(";")[0]).toBe(type);
      expect(res.res.headers.get("content-disposition")).toMatch(/^attachment; filename="/);
      expect(typeof res.body).toBe("string");
    }
  });
});

describe("every documented operation, swept", () => {
  const concrete = (op: DocumentedOperation, id: (name: string) => string) =>
    op.path.replace(/\{([^}]+)\}/g, (_, name: string) => id(name));

  /** A well-formed id that names nothing: the parameter's pattern, satisfied. */
  const unknownId = (op: DocumentedOperation) => (name: string) => {
    const pattern = op.parameters?.find((p) => p.in === "path" && p.name === name)?.schema?.pattern;
    const prefix = typeof pattern === "string" ? /^\^([a-z]+_)/.exec(pattern)?.[1] : undefined;
    return prefix ? `${prefix}${"0".repeat(20)}` : "unknown";
  };

  const needsBody = (op: DocumentedOperation) => ["post", "put", "patch"].includes(op.method);

  it("without a credential: 401 everywhere; with a credential lacking the scope: 403", async () => {
    for (const op of ops) {
      const path = concrete(op, unknownId(op));
      const body = needsBody(op) ? {} : undefined;
      expect((await call(op.method.toUpperCase(), path, { body })).status, `${op.method} ${op.path}`).toBe(401);
      // A token without (one of) the operation's scopes: contacts:read only, or tokens:read only.
      const scopes = op.security?.[0]?.bearer ?? [];
      const token = scopes.includes("contacts:read") ? tokensReader.token : reader.token;
      const denied = await call(op.method.toUpperCase(), path, { token, body });
      expect(denied.status, `${op.method} ${op.path}`).toBe(403);
      expect(denied.body, `${op.method} ${op.path}`).toMatchObject({ scopes });
    }
  });

  it("with every scope: an unknown field is a 400, a well-formed unknown id a 404", async () => {
    for (const op of ops) {
      const path = concrete(op, unknownId(op));
      const label = `${op.method} ${op.path}`;
      if (needsBody(op)) {
        const res = await call(op.method.toUpperCase(), path, { token: admin.token, body: { "no-such-field": 1 } });
        // Some bodies are checked after the record is looked up: an unknown id may answer first.
        expect([400, 404], label).toContain(res.status);
      } else if (op.path.includes("{")) {
        const res = await call(op.method.toUpperCase(), path, { token: admin.token });
        // A list under a record may answer an empty page for an unknown one; anything else is not found.
        if (res.status === 200) expect(res.body, label).toMatchObject({ items: [] });
        else expect(res.status, label).toBe(404);
      } else if (op.method === "get" && op.parameters?.some((p) => p.in === "query")) {
        // An operation whose input is an object refuses what it does not know (one without input ignores the query).
        const res = await call("GET", `${path}?no-such-field=1`, { token: admin.token });
        expect(res.status, label).toBe(400);
      }
    }
  });

  it("with every scope, each GET without a path id answers 200 with the documented body", async () => {
    const takesRequired = (op: DocumentedOperation) => op.parameters?.some((p) => p.required) ?? false;
    for (const op of ops.filter((o) => o.method === "get" && !o.path.includes("{") && !takesRequired(o))) {
      const res = await call("GET", op.path, { token: admin.token });
      expect(res.status, op.path).toBe(200);
    }
  });

  it("provoked every documented status somewhere", () => {
    const documented = new Set(ops.flatMap((op) => Object.keys(op.responses)));
    const seen = new Set([...provoked.values()].flatMap((s) => [...s]));
    expect([...documented].filter((s) => !seen.has(s))).toEqual([]);
  });
});
