import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { ALL_SCOPES } from "../auth/scopes";
import { ID_PREFIXES } from "../ids";
import { appRouter } from "../root";
import type { Meta } from "../trpc";
import { buildOpenApiDocument } from "./openapi";
import { type DocumentedOperation, documentedOperations } from "./testing/openapi-doc";
import { type RestServer, startRestServer, userWithToken } from "./testing/rest-server";

/**
 * Every maximum, minimum and pattern the document states for an operation's
 * input is the one the server enforces: the test walks the router, reads
 * each procedure's zod input schema itself (its checks, not a generator's
 * rendering of them), and holds every parameter and body field of the
 * document against it. Then, over real HTTP, it probes the boundaries the
 * document states: at the maximum the field is accepted, one past it the
 * answer is a 400 naming the field.
 */

type Json = Record<string, unknown>;
type AnyZod = z.ZodType & { _zod: { def: Json } };

const doc = buildOpenApiDocument("https://gatehouse.example");
const ops = documentedOperations(doc);

interface Facts {
  kind: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  patterns: string[];
  values?: unknown[];
  nullable: boolean;
  element?: Facts;
  shape?: Record<string, Facts>;
  options?: Facts[];
}

/** What zod itself enforces on the input side of a schema (wrappers and pipes unwrapped to what is parsed first). */
function factsOf(schema: AnyZod, nullable = false): Facts {
  const def = schema._zod.def;
  switch (def.type) {
    case "optional":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
      return factsOf(def.innerType as AnyZod, nullable);
    case "nullable":
      return factsOf(def.innerType as AnyZod, true);
    case "pipe":
      return factsOf(def.in as AnyZod, nullable);
  }
  const facts: Facts = { kind: String(def.type), patterns: [], nullable };
  if (typeof def.pattern === "object" && def.pattern instanceof RegExp) facts.patterns.push(def.pattern.source);
  for (const check of (def.checks as Array<{ _zod: { def: Json } }> | undefined) ?? []) {
    const c = check._zod.def;
    const isString = def.type === "string";
    if (c.check === "max_length") facts[isString ? "maxLength" : "maximum"] = c.maximum as number;
    if (c.check === "min_length") facts[isString ? "minLength" : "minimum"] = c.minimum as number;
    if (c.check === "length_equals") {
      facts.minLength = c.length as number;
      facts.maxLength = c.length as number;
    }
    if (c.check === "less_than") facts.maximum = c.value as number;
    if (c.check === "greater_than") facts.minimum = c.value as number;
    if (c.check === "string_format" && c.pattern instanceof RegExp) facts.patterns.push(c.pattern.source);
  }
  if (def.type === "enum") facts.values = Object.values(def.entries as object);
  if (def.type === "literal") facts.values = def.values as unknown[];
  if (def.type === "array") facts.element = factsOf(def.element as AnyZod);
  if (def.type === "object") {
    facts.shape = Object.fromEntries(
      Object.entries(def.shape as Record<string, AnyZod>).map(([k, v]) => [k, factsOf(v)]),
    );
  }
  if (def.type === "union") facts.options = (def.options as AnyZod[]).map((o) => factsOf(o));
  return facts;
}

const idLengthOf = (pattern: string | undefined) => {
  const prefix = Object.values(ID_PREFIXES).find((p) => pattern === `^${p}_[0-9a-z]{20}$`);
  return prefix ? prefix.length + 21 : undefined;
};

/** The document's schema for a field, with a nullable union (`anyOf: [X, {type: null}]`) unwrapped. */
function unwrapNull(schema: Json): { schema: Json; nullable: boolean } {
  const anyOf = schema.anyOf as Json[] | undefined;
  if (anyOf?.length === 2 && anyOf.some((s) => s.type === "null")) {
    return { schema: anyOf.find((s) => s.type !== "null") as Json, nullable: true };
  }
  if (Array.isArray(schema.type) && schema.type.includes("null")) {
    return { schema: { ...schema, type: schema.type.find((t: string) => t !== "null") }, nullable: true };
  }
  return { schema, nullable: false };
}

const bodyPropertiesOf = (op: DocumentedOperation): Record<string, Json> => {
  const schema = op.requestBody?.content?.["application/json"]?.schema as Json | undefined;
  return (schema?.properties ?? {}) as Record<string, Json>;
};

type Answer = { type?: string; errors?: Array<{ path: string; message: string }> };

let compared = 0;

function compare(label: string, documented: Json, facts: Facts): void {
  compared++;
  const { schema, nullable } = unwrapNull(documented);
  if (facts.nullable) expect(nullable, `${label}: nullable`).toBe(true);
  if (facts.kind === "string") {
    const pattern = schema.pattern as string | undefined;
    const idLength = facts.maxLength === undefined ? idLengthOf(pattern) : undefined;
    // An id's length is its pattern's (openapi.ts says it so a reader need not read the regex).
    expect(schema.maxLength, `${label}: maxLength`).toBe(facts.maxLength ?? idLength);
    expect(schema.minLength, `${label}: minLength`).toBe(facts.minLength ?? idLength);
    if (facts.patterns.length > 0) expect(facts.patterns, `${label}: pattern`).toContain(pattern);
    else expect(pattern, `${label}: pattern`).toBeUndefined();
  }
  if (facts.kind === "number" || facts.kind === "int") {
    expect(schema.maximum, `${label}: maximum`).toBe(facts.maximum);
    expect(schema.minimum, `${label}: minimum`).toBe(facts.minimum);
  }
  if (facts.values && facts.kind === "enum") expect(schema.enum, `${label}: enum`).toEqual(facts.values);
  if (facts.kind === "array") {
    expect(schema.maxItems, `${label}: maxItems`).toBe(facts.maximum);
    expect(schema.minItems, `${label}: minItems`).toBe(facts.minimum);
    if (facts.element) compare(`${label}[]`, schema.items as Json, facts.element);
  }
  if (facts.kind === "object" && facts.shape) {
    const properties = (schema.properties ?? {}) as Record<string, Json>;
    expect(Object.keys(properties).sort(), `${label}: properties`).toEqual(Object.keys(facts.shape).sort());
    for (const [name, inner] of Object.entries(facts.shape)) compare(`${label}.${name}`, properties[name] ?? {}, inner);
  }
  if (facts.kind === "union" && facts.options) {
    const options = (schema.oneOf ?? schema.anyOf) as Json[] | undefined;
    expect(options?.length, `${label}: options`).toBe(facts.options.length);
    facts.options.forEach((option, i) => {
      compare(`${label}|${i}`, options?.[i] ?? {}, option);
    });
  }
}

describe("the document's input constraints are the zod schemas' own", () => {
  it("for every operation's parameters and body fields", () => {
    const procedures = appRouter._def.procedures as unknown as Record<
      string,
      { _def: { meta?: Meta; inputs: AnyZod[] } }
    >;
    let operations = 0;
    for (const [name, procedure] of Object.entries(procedures)) {
      const meta = procedure._def.meta;
      if (!meta?.openapi) continue;
      const op = ops.find((o) => o.method === meta.openapi?.method.toLowerCase() && o.path === meta.openapi?.path);
      expect(op, name).toBeDefined();
      const input = procedure._def.inputs[0];
      if (!input || !op) continue;
      operations++;
      const facts = factsOf(input);
      if (facts.kind !== "object" || !facts.shape) continue;
      const parameters = new Map(
        (op.parameters ?? []).filter((p) => p.in !== "header").map((p) => [p.name, p.schema ?? {}]),
      );
      const body = op.requestBody?.content?.["application/json"]?.schema as Json | undefined;
      const bodyProperties = (body?.properties ?? {}) as Record<string, Json>;
      for (const [field, fieldFacts] of Object.entries(facts.shape)) {
        const documented = parameters.get(field) ?? bodyProperties[field];
        expect(documented, `${name}: ${field} is documented`).toBeDefined();
        compare(`${name}.${field}`, documented ?? {}, fieldFacts);
      }
      // And nothing documented that the schema does not take.
      for (const field of [...parameters.keys(), ...Object.keys(bodyProperties)]) {
        expect(Object.keys(facts.shape), `${name}: ${field} is in the schema`).toContain(field);
      }
    }
    expect(operations).toBeGreaterThan(10);
    expect(compared).toBeGreaterThanOrEqual(20);
  });

  it("the contacts list pages at most 100, as the server does (no clamping behind a larger maximum)", () => {
    const limit = ops
      .find((o) => o.path === "/contacts" && o.method === "get")
      ?.parameters?.find((p) => p.name === "limit");
    expect(limit?.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 100 });
  });
});

describe("the stated boundaries hold over HTTP", () => {
  let server: RestServer;
  let token: string;

  beforeAll(async () => {
    server = await startRestServer({ rateLimit: { api: { limit: 100_000, windowMs: 60_000 } } });
    ({ token } = await userWithToken(server.rt, "root@example.com", [...ALL_SCOPES], "admin"));
  });
  afterAll(async () => {
    await server?.close();
  });

  async function send(op: DocumentedOperation, path: string, query: string, body?: unknown) {
    const res = await fetch(`${server.api}${path}${query}`, {
      method: op.method.toUpperCase(),
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = /json/.test(res.headers.get("content-type") ?? "");
    return {
      status: res.status,
      problem: json && text ? (JSON.parse(text) as Answer) : {},
    };
  }

  const names = (problem: Answer, field: string) =>
    problem.type === "urn:gatehouse:problem:invalid_input" && (problem.errors ?? []).some((e) => e.path === field);
  /** What the answer says of one field (a value can be refused for another reason, e.g. not an email address). */
  const sayOf = (problem: Answer, field: string) =>
    names(problem, field) ? (problem.errors ?? []).filter((e) => e.path === field).map((e) => e.message) : [];

  const concrete = (op: DocumentedOperation) =>
    op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const pattern = op.parameters?.find((p) => p.name === name)?.schema?.pattern as string | undefined;
      return `${/^\^([a-z]+_)/.exec(pattern ?? "")?.[1] ?? "x_"}${"0".repeat(20)}`;
    });

  it("every GET's numeric and string query bounds: the maximum passes, one more is a 400 naming the field", async () => {
    let probes = 0;
    for (const op of ops.filter((o) => o.method === "get")) {
      for (const p of op.parameters ?? []) {
        if (p.in !== "query") continue;
        const schema = p.schema ?? {};
        const required = (op.parameters ?? []).filter((q) => q.required && q.in === "query" && q.name !== p.name);
        // Required companions get their first allowed value (e.g. the export's format).
        const rest = required.map((q) => `&${q.name}=${encodeURIComponent(String((q.schema?.enum as string[])?.[0]))}`);
        let atMax: string | undefined;
        let overMax: string | undefined;
        if (schema.type === "integer" && typeof schema.maximum === "number") {
          atMax = String(schema.maximum);
          overMax = String(schema.maximum + 1);
        } else if (schema.type === "string" && typeof schema.maxLength === "number") {
          const value = "a".repeat(schema.maxLength);
          // Only where a run of one letter is a valid value (no format, a pattern it satisfies).
          if (schema.format || (schema.pattern && !new RegExp(String(schema.pattern)).test(value))) continue;
          atMax = value;
          overMax = `${value}a`;
        }
        if (atMax === undefined || overMax === undefined) continue;
        const path = concrete(op);
        const label = `${op.path} ${p.name}`;
        const at = await send(op, path, `?${p.name}=${atMax}${rest.join("")}`);
        const over = await send(op, path, `?${p.name}=${overMax}${rest.join("")}`);
        expect(over.status, label).toBe(400);
        expect(names(over.problem, p.name), `${label}: ${JSON.stringify(over.problem)}`).toBe(true);
        // At the maximum, the bound itself is not what is refused.
        for (const message of sayOf(over.problem, p.name)) {
          expect(
            sayOf(at.problem, p.name),
            `${label}=${atMax.slice(0, 20)}: ${JSON.stringify(at.problem)}`,
          ).not.toContain(message);
        }
        probes++;
      }
    }
    expect(probes).toBeGreaterThanOrEqual(4);
  });

  it("every path id: one of its length passes the check (404), one character more is a 400 naming it", async () => {
    let probes = 0;
    for (const op of ops.filter((o) => o.method === "get" && o.path.includes("{"))) {
      const ids = (op.parameters ?? []).filter((p) => p.in === "path");
      const path = concrete(op);
      const at = await send(op, path, "");
      expect(at.status, op.path).toBe(at.status === 200 ? 200 : 404);
      for (const id of ids) {
        const longer = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
          const pattern = op.parameters?.find((p) => p.name === name)?.schema?.pattern as string | undefined;
          const prefix = /^\^([a-z]+_)/.exec(pattern ?? "")?.[1] ?? "x_";
          return `${prefix}${"0".repeat(name === id.name ? 21 : 20)}`;
        });
        const over = await send(op, longer, "");
        expect(over.status, `${op.path} ${id.name}`).toBe(400);
        expect(names(over.problem, id.name), `${op.path} ${id.name}: ${JSON.stringify(over.problem)}`).toBe(true);
        probes++;
      }
    }
    expect(probes).toBeGreaterThanOrEqual(1);
  });

  it("body samples: a contact's name and notes, a token's scopes", async () => {
    const create = ops.find((o) => o.method === "post" && o.path === "/contacts") as DocumentedOperation;
    const props = bodyPropertiesOf(create);
    const nameMax = props.name?.maxLength as number;
    const notesMax = (unwrapNull(props.notes ?? {}).schema.maxLength as number) ?? 0;
    expect([nameMax, notesMax].every((n) => n > 0)).toBe(true);
    for (const [field, max, base] of [
      ["name", nameMax, {}],
      ["notes", notesMax, { name: "A" }],
    ] as const) {
      const at = await send(create, "/contacts", "", { email: "a@example.com", ...base, [field]: "a".repeat(max) });
      expect(at.status, `${field} at ${max}`).toBe(Number(Object.keys(create.responses)[0]));
      const over = await send(create, "/contacts", "", {
        email: "a@example.com",
        ...base,
        [field]: "a".repeat(max + 1),
      });
      expect([over.status, names(over.problem, field)], `${field} at ${max + 1}`).toEqual([400, true]);
    }

    const tokens = ops.find((o) => o.method === "post" && o.path === "/tokens") as DocumentedOperation;
    const scopes = bodyPropertiesOf(tokens).scopes ?? {};
    const maxItems = scopes.maxItems as number;
    const at = await send(tokens, "/tokens", "", { name: "many", scopes: Array(maxItems).fill("contacts:read") });
    expect(names(at.problem, "scopes"), JSON.stringify(at.problem)).toBe(false);
    const over = await send(tokens, "/tokens", "", { name: "many", scopes: Array(maxItems + 1).fill("contacts:read") });
    expect([over.status, names(over.problem, "scopes")]).toEqual([400, true]);
  });
});
