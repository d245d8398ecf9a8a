import fs from "node:fs";
import path from "node:path";
import createClient from "openapi-fetch";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../services/audit";
import { createToken } from "../services/tokens";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { buildOpenApiDocument } from "./openapi";
import { handleRest } from "./rest-handler";

/**
 * A client generated from our OpenAPI document, as an external developer
 * would make one: openapi-typescript turns the document into types (which
 * also proves the document is valid OpenAPI), those types compile against a
 * small client program, and openapi-fetch, with its fetch routed into the
 * real REST handler, lists and creates contacts with an API token.
 */

const ORIGIN = "http://localhost:3000";

describe("client generated from the OpenAPI document", () => {
  let generated: string;
  let workDir: string;

  beforeAll(async () => {
    const doc = buildOpenApiDocument(ORIGIN);
    // biome-ignore lint/suspicious/noExplicitAny: our document type (trpc-to-openapi) and openapi-typescript's differ nominally
    generated = astToString(await openapiTS(doc as any));
    // Under node_modules so the snippet resolves openapi-fetch like an app would; removed afterwards.
    fs.mkdirSync(path.join(process.cwd(), "node_modules", ".cache"), { recursive: true });
    workDir = fs.mkdtempSync(path.join(process.cwd(), "node_modules", ".cache", "gatehouse-openapi-"));
  });
  afterAll(() => {
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it("describes every REST operation with its bearer scopes", () => {
    const doc = buildOpenApiDocument(ORIGIN);
    const security = (p: string, m: string) =>
      (doc.paths?.[p] as Record<string, { security?: unknown }> | undefined)?.[m]?.security;
    expect(security("/contacts", "get")).toEqual([{ bearer: ["contacts:read"] }, { oauth2: ["contacts:read"] }]);
    expect(security("/contacts", "post")).toEqual([{ bearer: ["contacts:write"] }, { oauth2: ["contacts:write"] }]);
    expect(security("/tokens", "get")).toEqual([{ bearer: ["tokens:read"] }, { oauth2: ["tokens:read"] }]);
    expect(security("/tokens/options", "get")).toEqual([{ bearer: ["tokens:read"] }, { oauth2: ["tokens:read"] }]);
    for (const p of ["/tokens", "/tokens/{id}/revoke", "/tokens/{id}/rotate", "/tokens/revoke-all"]) {
      expect(security(p, "post")).toEqual([{ bearer: ["tokens:write"] }, { oauth2: ["tokens:write"] }]);
    }
    expect(doc.components?.securitySchemes?.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components?.securitySchemes?.oauth2).toMatchObject({
      type: "oauth2",
      flows: { authorizationCode: { tokenUrl: `${ORIGIN}/oauth/token` } },
    });
    for (const p of ["/contacts", "/tokens", "/tokens/{id}/rotate"]) expect(generated).toContain(`"${p}"`);
  });

  it("type-checks a program written against the generated types", () => {
    fs.writeFileSync(path.join(workDir, "api.ts"), generated);
    fs.writeFileSync(
      path.join(workDir, "program.ts"),
      `import createClient from "openapi-fetch";
import type { paths } from "./api";

const client = createClient<paths>({ baseUrl: "${ORIGIN}/api/v1" });

export async function run(): Promise<string[]> {
  const created = await client.POST("/contacts", { body: { name: "Ada", email: "ada@example.com" } });
  const page = await client.GET("/contacts", { params: { query: { limit: 5 } } });
  const token = await client.POST("/tokens", { body: { name: "ci", scopes: ["contacts:read"] } });
  const ids: string[] = (page.data?.items ?? []).map((c) => c.id);
  const secret: string | undefined = token.data?.token;
  return [created.data?.name ?? "", ...ids, secret ?? ""];
}
`,
    );
    const program = ts.createProgram([path.join(workDir, "program.ts")], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
      skipLibCheck: true,
      types: [],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(problems).toEqual([]);
  });

  describe("at run time", () => {
    let rt: TestRuntime;
    let token: string;

    beforeAll(async () => {
      rt = createTestRuntime();
      const alice = await seedUser(rt, "alice@example.com");
      token = createToken(
        { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "t" } },
        alice.user.id,
        { name: "sdk", scopes: ["contacts:read", "contacts:write"] },
      ).token;
    });

    // The generated types cannot be imported by this file (they are made while it runs);
    // the program above checks them, this checks the wire.
    const clientFor = (credential: string | null) =>
      // biome-ignore lint/suspicious/noExplicitAny: see above
      createClient<any>({
        baseUrl: `${ORIGIN}/api/v1`,
        fetch: (req: Request) => handleRest(req, rt),
        headers: credential ? { authorization: `Bearer ${credential}` } : {},
      });

    it("lists and creates contacts with a token", async () => {
      const client = clientFor(token);
      const created = await client.POST("/contacts", { body: { name: "Ada", email: "ada@example.com" } });
      expect(created.response.status).toBe(201);
      expect(created.response.headers.get("location")).toBe(`/api/v1/contacts/${created.data.id}`);
      expect(created.data).toMatchObject({ name: "Ada", email: "ada@example.com" });

      const page = await client.GET("/contacts", { params: { query: { limit: 5 } } });
      expect(page.response.status).toBe(200);
      expect(page.data.items.map((c: { id: string }) => c.id)).toEqual([created.data.id]);
    });

    it("gets problem+json errors with the Bearer challenge", async () => {
      const anonymous = await clientFor(null).GET("/contacts", {});
      expect(anonymous.response.status).toBe(401);
      expect(anonymous.response.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse"');
      expect(anonymous.error).toMatchObject({ status: 401, type: "urn:gatehouse:problem:missing_credentials" });

      const denied = await clientFor(token).GET("/tokens", {});
      expect(denied.response.status).toBe(403);
      expect(denied.error).toMatchObject({ status: 403, scopes: ["tokens:read"] });
    });
  });
});
