import { describe, expect, it } from "vitest";
import { ID_PREFIXES } from "../ids";
import { buildOpenApiDocument, restOperations } from "./openapi";
import {
  type DocumentedOperation,
  type DocumentedResponse,
  documentedOperations,
  resolvePointer,
} from "./testing/openapi-doc";

/**
 * What the document says of each operation, held against the facts it is
 * derived from (method, path, procedure meta), stated again here in plain
 * terms; and that nothing in it is a generator leftover the server never
 * sends. The real server's answers are checked in openapi-contract.test.ts.
 */

const doc = buildOpenApiDocument("https://gatehouse.example");
const ops = documentedOperations(doc);
const meta = new Map(restOperations().map((op) => [`${op.method} ${op.path}`, op.meta]));
const key = (op: DocumentedOperation) => `${op.method} ${op.path}`;
const ALLOWED = ["200", "201", "204", "400", "401", "403", "404", "409", "413", "415", "429", "500", "503"];

describe("statuses per operation", () => {
  it("covers exactly the procedures with meta.openapi", () => {
    expect(ops.map(key).sort()).toEqual([...meta.keys()].sort());
    expect(ops.length).toBeGreaterThan(10);
  });

  it("answers 201 for meta.created, 204 for DELETE, 200 otherwise: one success status each", () => {
    for (const op of ops) {
      const m = meta.get(key(op));
      const expected = op.method === "delete" ? "204" : m?.created ? "201" : "200";
      expect(
        Object.keys(op.responses).filter((s) => s.startsWith("2")),
        key(op),
      ).toEqual([expected]);
    }
    // The samples every reader knows.
    const success = (k: string) => Object.keys(ops.find((op) => key(op) === k)?.responses ?? {})[0];
    expect(success("delete /contacts/{id}")).toBe("204");
    expect(success("get /contacts")).toBe("200");
  });

  it("lists the error statuses the facts allow, and no others", () => {
    for (const op of ops) {
      const statuses = new Set(Object.keys(op.responses));
      const label = key(op);
      const m = meta.get(label);
      const declared = Object.keys((m?.openapi?.errorResponses as Record<string, string> | undefined) ?? {});
      // Every operation: invalid input, rate limit, unavailability, unexpected failure; all are protected.
      for (const s of ["400", "401", "403", "429", "500", "503"]) expect(statuses.has(s), `${label} ${s}`).toBe(true);
      // A body is capped and type-checked only where one is read.
      const body = ["post", "put", "patch"].includes(op.method);
      expect(statuses.has("413"), `${label} 413`).toBe(body);
      expect(statuses.has("415"), `${label} 415`).toBe(body);
      // Not found: a record named in the path, or one the procedure declares.
      expect(statuses.has("404"), `${label} 404`).toBe(op.path.includes("{") || declared.includes("404"));
      // Conflict: only where the procedure declares it.
      expect(statuses.has("409"), `${label} 409`).toBe(declared.includes("409"));
      for (const s of statuses) expect(ALLOWED, `${label} ${s}`).toContain(s);
    }
    const statusesOf = (k: string) => Object.keys(ops.find((op) => key(op) === k)?.responses ?? {}).sort();
    expect(statusesOf("get /contacts")).toEqual(["200", "400", "401", "403", "429", "500", "503"]);
    expect(statusesOf("delete /contacts/{id}")).toEqual(["204", "400", "401", "403", "404", "429", "500", "503"]);
    expect(statusesOf("post /tokens/{id}/rotate")).toContain("409");
  });
});

describe("headers per status", () => {
  const headersOf = (response: DocumentedResponse) =>
    Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, h]) => [name, h.required === true]));

  it("X-Request-Id on every answer; RateLimit fields on every answer the rate-limit step sees", () => {
    for (const op of ops) {
      for (const [status, response] of Object.entries(op.responses)) {
        const h = headersOf(response);
        const label = `${key(op)} ${status}`;
        expect(h["X-Request-Id"], label).toBe(true);
        // 413 and 415 are answered before the procedure chain: no rate-limit step ran.
        const limited = !["413", "415"].includes(status);
        expect("RateLimit" in h, label).toBe(limited);
        expect("RateLimit-Policy" in h, label).toBe(limited);
        expect(h.RateLimit ?? false, label).toBe(status === "429");
        expect(h["Retry-After"], label).toBe(["429", "503"].includes(status) ? true : undefined);
        expect(h["WWW-Authenticate"], label).toBe(
          status === "401" ? true : ["400", "403"].includes(status) ? false : undefined,
        );
        expect(h.Location, label).toBe(status === "201" ? true : undefined);
      }
    }
  });

  it("a 429's Retry-After is an integer of seconds; Location is a path under /api/v1", () => {
    const tooMany = resolvePointer(doc, "#/components/responses/TooManyRequests") as DocumentedResponse;
    expect(tooMany.headers?.["Retry-After"]?.schema).toMatchObject({ type: "integer", minimum: 0 });
    for (const op of ops.filter((o) => o.responses["201"])) {
      expect(op.responses["201"]?.headers?.Location?.schema?.pattern, key(op)).toBe("^/api/v1/[^\\s?#]+$");
    }
  });
});

describe("nothing the server does not send", () => {
  const refs = (value: unknown, into: string[] = []): string[] => {
    if (Array.isArray(value)) for (const v of value) refs(v, into);
    else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        if (k === "$ref" && typeof v === "string") into.push(v);
        else refs(v, into);
      }
    }
    return into;
  };

  it("no generator error schemas, no default responses, no error body but problem+json", () => {
    const json = JSON.stringify(doc);
    expect(Object.keys(doc.components?.schemas ?? {}).filter((n) => n.startsWith("error."))).toEqual([]);
    expect(json).not.toContain('"default":{"description"');
    for (const op of ops) {
      expect(Object.keys(op.responses), key(op)).not.toContain("default");
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) >= 400) {
          expect(response.content?.["application/problem+json"]?.schema, `${key(op)} ${status}`).toMatchObject({
            required: ["type", "title", "status"],
            additionalProperties: false,
          });
          expect(Object.keys(response.content ?? {})).toEqual(["application/problem+json"]);
        }
      }
    }
    // The tRPC error shape (message/code/issues) appears nowhere.
    expect(json).not.toMatch(/"issues":\{"type":"array"/);
  });

  it("every reference resolves and every component is referenced", () => {
    const all = refs(doc);
    for (const ref of all) expect(() => resolvePointer(doc, ref), ref).not.toThrow();
    const used = new Set(all);
    for (const [kind, group] of Object.entries(doc.components ?? {})) {
      if (kind === "securitySchemes") continue;
      for (const name of Object.keys(group as object)) {
        expect(used.has(`#/components/${kind}/${name}`), `${kind}/${name}`).toBe(true);
      }
    }
  });

  it("every security requirement names a defined scheme, every scope is in the catalogue", () => {
    const schemes = doc.components?.securitySchemes ?? {};
    const oauthScopes = Object.keys(
      (schemes.oauth2 as { flows: { clientCredentials: { scopes: object } } }).flows.clientCredentials.scopes,
    );
    for (const op of ops) {
      for (const requirement of op.security ?? []) {
        for (const [scheme, scopes] of Object.entries(requirement)) {
          expect(Object.keys(schemes), key(op)).toContain(scheme);
          for (const scope of scopes) expect(oauthScopes, key(op)).toContain(scope);
        }
      }
    }
  });
});

describe("generated schemas, completed", () => {
  it("every integer says int32 or int64; every id parameter its pattern and length", () => {
    const walk = (value: unknown, at: string): void => {
      if (Array.isArray(value)) {
        for (const [i, v] of value.entries()) walk(v, `${at}/${i}`);
      } else if (value && typeof value === "object") {
        const schema = value as Record<string, unknown>;
        const types = Array.isArray(schema.type) ? schema.type : [schema.type];
        if (types.includes("integer")) expect(["int32", "int64"], at).toContain(schema.format);
        for (const [k, v] of Object.entries(schema)) walk(v, `${at}/${k}`);
      }
    };
    walk(doc.paths, "#/paths");
    walk(doc.components, "#/components");

    let ids = 0;
    for (const op of ops) {
      for (const p of op.parameters ?? []) {
        if (p.in !== "path") continue;
        ids++;
        const pattern = String(p.schema?.pattern);
        const prefix = Object.values(ID_PREFIXES).find((x) => pattern === `^${x}_[0-9a-z]{20}$`);
        expect(prefix, `${key(op)} ${p.name}: ${pattern}`).toBeDefined();
        expect(p.schema?.maxLength, `${key(op)} ${p.name}`).toBe(`${prefix}_`.length + 20);
        expect(p.schema?.minLength, `${key(op)} ${p.name}`).toBe(`${prefix}_`.length + 20);
      }
    }
    expect(ids).toBeGreaterThanOrEqual(5);
  });

  it("servers: x-internal false, and the environment follows APP_URL's scheme", () => {
    expect(doc.servers).toEqual([
      {
        url: "https://gatehouse.example/api/v1",
        description: expect.stringContaining("production"),
        "x-internal": false,
      },
    ]);
    const local = buildOpenApiDocument("http://localhost:3000");
    expect(local.servers?.[0]?.description).toContain("local development");
  });

  it("every tag an operation uses is defined; every operation has a description naming its scopes", () => {
    const tags = (doc.tags ?? []).map((t) => t.name);
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(item as Record<string, { tags?: string[]; description?: string }>)) {
        for (const tag of op.tags ?? []) expect(tags, `${method} ${path}`).toContain(tag);
        const scopes = meta.get(`${method} ${path}`)?.scopes ?? [];
        for (const scope of scopes) expect(op.description, `${method} ${path}`).toContain(`\`${scope}\``);
      }
    }
  });
});
