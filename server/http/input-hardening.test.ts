import { beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { ALL_SCOPES } from "../auth/scopes";
import { parseEnv } from "../config/env";
import { appRouter } from "../root";
import { SYSTEM_ACTOR } from "../services/audit";
import { createToken } from "../services/tokens";
import { callerFor, createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { TRPCError } from "../trpc";
import { checkJsonShape, MAX_JSON_ARRAY_ITEMS, MAX_JSON_DEPTH } from "./json-shape";
import { handleRest } from "./rest-handler";
import { handleTrpc, MAX_BATCH_SIZE } from "./trpc-handler";

/**
 * Input hardening at the two doors and in the schemas: body size, JSON
 * depth and array length caps, the tRPC batch cap, strict and bounded input
 * schemas, Unicode rules, and error bodies that name the field without
 * echoing much of the bad value.
 */

const ORIGIN = "http://localhost:3000";

let rt: TestRuntime;
let token: string;
let tokenId: string;
let alice: Awaited<ReturnType<typeof seedUser>>;

beforeAll(async () => {
  rt = createTestRuntime({ maxBodyBytes: 4096 });
  alice = await seedUser(rt, "alice@example.com", "admin");
  const created = await createToken(
    { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "t" } },
    alice.user.id,
    { name: "hardening", scopes: ALL_SCOPES },
  );
  token = created.token;
  tokenId = created.id;
});

const auth = () => ({ authorization: `Bearer ${token}` });
const json = () => ({ ...auth(), "content-type": "application/json" });

function rest(path: string, init: RequestInit = {}) {
  return handleRest(new Request(`${ORIGIN}/api/v1${path}`, { ...init, headers: { ...json(), ...init.headers } }), rt);
}
function trpc(path: string, init: RequestInit = {}) {
  return handleTrpc(new Request(`${ORIGIN}/api/trpc${path}`, { ...init, headers: { ...json(), ...init.headers } }), rt);
}

async function problemOf(response: Response, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as { type: string; detail: string; errors?: Array<{ path: string; message: string }> };
}

/** A body streamed without Content-Length (chunked), as a client that lies about nothing but sends a lot. */
function streamed(text: string): RequestInit {
  const bytes = new TextEncoder().encode(text);
  return {
    body: new ReadableStream({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 1000) controller.enqueue(bytes.slice(i, i + 1000));
        controller.close();
      },
    }),
    duplex: "half",
  } as RequestInit;
}

describe("request body size (MAX_BODY_BYTES)", () => {
  it("is read from the environment, default 1 MiB, bounded", () => {
    expect(parseEnv({}).MAX_BODY_BYTES).toBe(1024 * 1024);
    expect(parseEnv({ MAX_BODY_BYTES: "2048" }).MAX_BODY_BYTES).toBe(2048);
    expect(() => parseEnv({ MAX_BODY_BYTES: "12" })).toThrow(/MAX_BODY_BYTES/);
    expect(() => parseEnv({ MAX_BODY_BYTES: "lots" })).toThrow(/MAX_BODY_BYTES/);
  });

  it("refuses a larger body with 413 on both doors, declared or streamed, before parsing it", async () => {
    const big = JSON.stringify({ name: "A", email: "a@example.com", notes: "n".repeat(5000) });
    for (const response of [
      await rest("/contacts", { method: "POST", body: big }),
      await rest("/contacts", { method: "POST", ...streamed(big) }),
      await trpc("/contacts.create", { method: "POST", body: big }),
      await trpc("/contacts.create", { method: "POST", ...streamed(big) }),
    ]) {
      expect((await problemOf(response, 413)).type).toBe("urn:gatehouse:problem:body_too_large");
    }
    // Just under the configured cap is parsed (and then judged on its content).
    const fits = JSON.stringify({ name: "A", email: "a@example.com", notes: "n".repeat(1900) });
    expect((await rest("/contacts", { method: "POST", body: fits })).status).toBe(201);
  });
});

describe("JSON structure caps", () => {
  it("counts only real nesting and array items, not brackets or commas inside strings", () => {
    expect(checkJsonShape(`{"a":"${"[".repeat(100)}","b":"${",".repeat(5000)}"}`)).toBeNull();
    expect(checkJsonShape(`{"a":"\\"[[[[","b":[1,2,3]}`)).toBeNull();
    expect(checkJsonShape("[".repeat(MAX_JSON_DEPTH))).toBeNull();
    expect(checkJsonShape("[".repeat(MAX_JSON_DEPTH + 1))?.reason).toBe("json_too_deep");
    expect(checkJsonShape(`[${"1,".repeat(MAX_JSON_ARRAY_ITEMS - 1)}1]`)).toBeNull();
    expect(checkJsonShape(`[${"1,".repeat(MAX_JSON_ARRAY_ITEMS)}1]`)?.reason).toBe("json_array_too_long");
    expect(checkJsonShape(`{"a":[[${"1,".repeat(MAX_JSON_ARRAY_ITEMS)}1]]}`)?.reason).toBe("json_array_too_long");
    expect(checkJsonShape(`{${'"k":1,'.repeat(2000)}"z":1}`)).toBeNull(); // objects are bounded by their (strict) schema
  });

  it("refuses deep nesting and long arrays with 400 on both doors, tRPC queries included", async () => {
    const deep = `{"name":${"[".repeat(60)}${"]".repeat(60)},"email":"a@example.com"}`;
    const long = JSON.stringify({ name: "A", email: "a@example.com", extra: Array.from({ length: 1500 }, () => 0) });
    const input = encodeURIComponent(`{"0":${"[".repeat(60)}${"]".repeat(60)}}`);
    const cases: Array<[Response, string]> = [
      [await rest("/contacts", { method: "POST", body: deep }), "json_too_deep"],
      [await rest("/contacts", { method: "POST", body: long }), "json_array_too_long"],
      [await trpc("/contacts.create", { method: "POST", body: deep }), "json_too_deep"],
      [await trpc("/contacts.create", { method: "POST", body: long }), "json_array_too_long"],
      [await trpc(`/contacts.list?batch=1&input=${input}`), "json_too_deep"],
    ];
    for (const [response, reason] of cases)
      expect((await problemOf(response, 400)).type).toBe(`urn:gatehouse:problem:${reason}`);
  });

  it("caps a tRPC batch at MAX_BATCH_SIZE procedures", async () => {
    const paths = Array.from({ length: MAX_BATCH_SIZE + 1 }, () => "tokens.options").join(",");
    const inputs = encodeURIComponent(
      JSON.stringify(Object.fromEntries(Array.from({ length: MAX_BATCH_SIZE + 1 }, (_, i) => [i, {}]))),
    );
    const over = await trpc(`/${paths}?batch=1&input=${inputs}`);
    expect(over.status).toBe(400);
    const okPaths = Array.from({ length: MAX_BATCH_SIZE }, () => "tokens.options").join(",");
    const okInputs = encodeURIComponent(
      JSON.stringify(Object.fromEntries(Array.from({ length: MAX_BATCH_SIZE }, (_, i) => [i, {}]))),
    );
    expect((await trpc(`/${okPaths}?batch=1&input=${okInputs}`)).status).toBe(200);
  });
});

describe("query strings and bodies the REST bridge would mishandle", () => {
  it("refuses query parameters named after Object.prototype members with 400 (the bridge would throw)", async () => {
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const body = await problemOf(await rest(`/contacts?${name}=1`), 400);
      expect(body.errors).toEqual([{ path: name, message: "Unrecognized key" }]);
    }
  });

  it("refuses query parameters on an operation that takes its input in the body", async () => {
    const response = await rest("/contacts?ownerId=usr_x", {
      method: "POST",
      body: JSON.stringify({ name: "A", email: "a@example.com" }),
    });
    expect((await problemOf(response, 400)).errors?.[0]?.path).toBe("ownerId");
  });

  it("takes a missing body as the empty object: an operation without a request body works without one", async () => {
    const other = await createToken(
      { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "t" } },
      alice.user.id,
      { name: "to revoke", scopes: ["contacts:read"] },
    );
    const response = await handleRest(
      new Request(`${ORIGIN}/api/v1/tokens/${other.id}/revoke`, { method: "POST", headers: auth() }),
      rt,
    );
    expect(response.status).toBe(200);
    // And a create without a body names the missing fields instead of "not JSON".
    const missing = await problemOf(await rest("/contacts", { method: "POST" }), 400);
    expect(missing.errors?.map((e) => e.path).sort()).toEqual(["email", "name"]);
    expect(tokenId).toMatch(/^tok_/);
  });
});

describe("error bodies", () => {
  it("name each field but quote at most a short excerpt of a bad value, and at most 20 problems", async () => {
    const hugeKey = "k".repeat(3_000); // within this runtime's 4 KiB body cap
    const body = await problemOf(
      await rest("/contacts", {
        method: "POST",
        body: JSON.stringify({ name: "A", email: "a@example.com", [hugeKey]: 1 }),
      }),
      400,
    );
    expect(JSON.stringify(body).length).toBeLessThan(1_000);
    expect(JSON.stringify(body)).not.toContain("k".repeat(200));

    const many = await problemOf(
      await rest("/tokens", {
        method: "POST",
        body: JSON.stringify({
          name: "",
          scopes: Array.from({ length: 20 }, (_, i) => `bad${i}`),
          expiresInSeconds: "soon",
        }),
      }),
      400,
    );
    expect(many.errors).toHaveLength(21);
    expect(many.errors?.at(-1)).toEqual({ path: "(body)", message: "and 2 more problems" });

    const viaTrpc = await callerFor(rt, alice.principal)
      .contacts.create({ name: "A", email: "a@example.com", [hugeKey]: 1 } as never)
      .catch((e: TRPCError) => e);
    expect(viaTrpc).toBeInstanceOf(TRPCError);
  });
});

describe("text rules of the contact schemas", () => {
  it("normalises names and notes to NFC, and refuses control characters, bidi overrides and lone surrogates", async () => {
    const api = callerFor(rt, alice.principal);
    const created = await api.contacts.create({
      name: "  E\u0301lise  ",
      email: "e@example.com",
      notes: "line 1\nline\t2\r\nCafe\u0301",
    });
    expect(created.name).toBe("\u00C9lise");
    expect(created.notes).toBe("line 1\nline\t2\r\nCaf\u00E9");

    const refused: Array<[Record<string, unknown>, string]> = [
      [{ name: "A\u0000B" }, "name"],
      [{ name: "A\u0085B" }, "name"],
      [{ name: "A\nB" }, "name"],
      [{ name: "abc\u202Egnp.exe" }, "name"],
      [{ name: "A\uD800" }, "name"],
      [{ notes: "bell\u0007" }, "notes"],
      [{ notes: "x\u2066y" }, "notes"],
      [{ notes: "\uDC00" }, "notes"],
      [{ notes: "n".repeat(2001) }, "notes"],
      [{ name: "\u00E9".repeat(201) }, "name"],
      [{ email: `${"a".repeat(250)}@example.com` }, "email"],
      [{ phone: "+1".padEnd(41, "0") }, "phone"],
    ];
    for (const [change, field] of refused) {
      const error = await api.contacts
        .create({ name: "A", email: "a@example.com", ...change } as never)
        .then(() => null)
        .catch((e: TRPCError) => e);
      expect(error?.code, JSON.stringify(change).slice(0, 40)).toBe("BAD_REQUEST");
      const response = await rest("/contacts", {
        method: "POST",
        body: JSON.stringify({ name: "A", email: "a@example.com", ...change }),
      });
      expect((await problemOf(response, 400)).errors?.map((e) => e.path)).toContain(field);
    }
  });
});

type AnySchema = z.ZodType & { _zod: { def: Record<string, unknown> & { type: string } } };

/**
 * Inputs known to be bounded only by the body cap: ISO timestamps (zod's
 * datetime pattern allows any number of fractional digits) and the audit
 * log's numeric cursor. Both are another feature's (issue 6) to tighten; this
 * list may only shrink.
 */
const KNOWN_UNBOUNDED = new Set([
  "admin.audit.list.since",
  "admin.audit.list.until",
  "admin.audit.list.cursor",
  "admin.audit.startExport.since",
  "admin.audit.startExport.until",
]);

/** A fixed-length id pattern (`^con_[0-9a-z]{20}$`) bounds a string as well as a max length does. */
function boundedPattern(pattern: unknown): boolean {
  const source = pattern instanceof RegExp ? pattern.source : "";
  return source.startsWith("^") && source.endsWith("$") && !/[*+]|\{\d+,\}/.test(source);
}

function problemsOf(schema: AnySchema, path: string, out: string[]): void {
  const def = schema._zod.def as Record<string, unknown> & { type: string };
  const checks = ((def.checks as Array<{ _zod: { def: Record<string, unknown> } }> | undefined) ?? []).map(
    (c) => c._zod.def,
  );
  const has = (kind: string) => checks.some((c) => c.check === kind);
  switch (def.type) {
    case "object": {
      const catchall = def.catchall as AnySchema | undefined;
      if (catchall?._zod.def.type !== "never") out.push(`${path}: object accepts unknown keys`);
      for (const [key, sub] of Object.entries(def.shape as Record<string, AnySchema>))
        problemsOf(sub, `${path}.${key}`, out);
      return;
    }
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
    case "nonoptional":
      problemsOf(def.innerType as AnySchema, path, out);
      return;
    case "pipe":
      problemsOf(def.in as AnySchema, path, out);
      return;
    case "string":
      if (
        !has("max_length") &&
        !has("length_equals") &&
        !checks.some((c) => c.check === "string_format" && boundedPattern(c.pattern))
      ) {
        out.push(`${path}: string without a maximum length`);
      }
      return;
    case "number":
      if (!has("less_than") || !has("greater_than")) out.push(`${path}: number without both bounds`);
      return;
    case "array":
      if (!has("max_length")) out.push(`${path}: array without a maximum length`);
      problemsOf(def.element as AnySchema, `${path}[]`, out);
      return;
    case "union":
      for (const [i, option] of (def.options as AnySchema[]).entries()) problemsOf(option, `${path}|${i}`, out);
      return;
    case "enum":
    case "literal":
    case "boolean":
    case "void":
    case "undefined":
    case "null":
      return;
    default:
      out.push(`${path}: ${def.type} is not checked by this test`);
  }
}

describe("every procedure's input schema", () => {
  it("is strict (unknown keys are refused) and bounds every string, number and list", () => {
    const problems: string[] = [];
    const procedures = Object.entries(
      appRouter._def.procedures as unknown as Record<string, { _def: { inputs: AnySchema[] } }>,
    );
    expect(procedures.length).toBeGreaterThan(20);
    for (const [name, procedure] of procedures)
      for (const input of procedure._def.inputs) problemsOf(input, name, problems);
    const unexpected = problems.filter((p) => !KNOWN_UNBOUNDED.has(p.split(":")[0] as string));
    expect(unexpected).toEqual([]);
  });
});
