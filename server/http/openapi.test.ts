import { describe, expect, it } from "vitest";
import { isScope } from "../auth/scopes";
import { createTestRuntime } from "../testing/harness";
import { buildOpenApiDocument, handleOpenApiDocument, restOperations } from "./openapi";
import { STREAMED } from "./rest-handler";
import { type DocumentedResponse, dereference } from "./testing/openapi-doc";

type Operation = {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  requestBody?: unknown;
};

const doc = buildOpenApiDocument("http://localhost:3000");
const procedureOf = new Map(restOperations().map((op) => [`${op.method} ${op.path}`, op.procedure]));
const paths = doc.paths as Record<string, Record<string, Operation>>;
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function operations(): Array<[string, string, Operation]> {
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => [path, method, op] as [string, string, Operation]),
  );
}

describe("buildOpenApiDocument", () => {
  it("is an OpenAPI 3.1 document served under /api/v1 with a bearer scheme", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBe("Gatehouse API");
    expect(doc.servers?.map((s) => s.url)).toEqual(["http://localhost:3000/api/v1"]);
    expect(doc.components?.securitySchemes?.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.info.description).toContain("contacts:read");
    expect(doc.info.description).toContain("contacts:write");
  });

  it("exposes the contacts operations and the admin API, and nothing of the account router", () => {
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(["/contacts", "/contacts/{id}"]));
    expect(Object.keys(paths["/contacts"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(paths["/contacts/{id}"] ?? {}).sort()).toEqual(["delete", "get", "patch"]);
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(["/admin/users", "/admin/users/{id}/tokens"]));
    for (const path of Object.keys(paths)) {
      expect(path).not.toMatch(/^\/account\b/);
    }
    const ids = operations().map(([, , op]) => op.operationId ?? "");
    expect(ids.filter((id) => /^account[-.]/.test(id))).toEqual([]);
    // Every admin operation is under /admin and needs the admin scope (adminProcedure's meta).
    for (const [path, , op] of operations().filter(([, , op]) => /^admin[-.]/.test(op.operationId ?? ""))) {
      expect(path).toMatch(/^\/admin\//);
      expect(JSON.stringify(op.security)).toContain("admin");
    }
  });

  it("requires the bearer (or OAuth 2.0) scheme with contacts:read on contacts reads and contacts:write on writes", () => {
    const expected: Record<string, string> = {
      "get /contacts": "contacts:read",
      "post /contacts": "contacts:write",
      "get /contacts/{id}": "contacts:read",
      "patch /contacts/{id}": "contacts:write",
      "delete /contacts/{id}": "contacts:write",
    };
    for (const [key, scope] of Object.entries(expected)) {
      const [method, path] = key.split(" ") as [string, string];
      expect(paths[path]?.[method]?.security, key).toEqual([{ bearer: [scope] }, { oauth2: [scope] }]);
    }
  });

  it("gives every operation a bearer requirement with known, non-empty scopes", () => {
    for (const [path, method, op] of operations()) {
      const key = `${method} ${path}`;
      // Two alternatives with the same scopes: an API token, or an OAuth 2.0 access token.
      expect(op.security, key).toHaveLength(2);
      const [requirement, oauth2] = op.security ?? [];
      expect(Object.keys(requirement ?? {}), key).toEqual(["bearer"]);
      expect(oauth2, key).toEqual({ oauth2: requirement?.bearer });
      const scopes = requirement?.bearer ?? [];
      expect(scopes.length, key).toBeGreaterThan(0);
      for (const scope of scopes) expect(isScope(scope), `${key}: ${scope}`).toBe(true);
      // Reads need a :read (or admin) scope, writes never get by with a :read scope alone.
      if (method !== "get")
        expect(
          scopes.some((s) => s.endsWith(":read")),
          key,
        ).toBe(false);
    }
  });

  it("documents every error response as problem+json with the Problem schema, and every success as its status", () => {
    const problem = doc.components?.schemas?.Problem as { required?: string[]; properties?: Record<string, unknown> };
    expect(problem.required).toEqual(expect.arrayContaining(["type", "title", "status"]));
    expect(Object.keys(problem.properties ?? {})).toEqual(
      expect.arrayContaining([
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "errors",
        "scopes",
        "violated-policies",
      ]),
    );

    for (const [path, method, op] of operations()) {
      const responses = (dereference(doc, op.responses) ?? {}) as Record<string, DocumentedResponse>;
      const statuses = Object.keys(responses);
      expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(["400", "401", "403", "429"]));
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400) continue;
        expect(Object.keys(response.content ?? {}), `${method} ${path} ${status}`).toEqual([
          "application/problem+json",
        ]);
        expect(op.responses?.[status], `${method} ${path} ${status}`).toMatchObject({
          $ref: expect.stringMatching(/^#\/components\/responses\//),
        });
      }
      const success = statuses.filter((s) => s.startsWith("2"));
      expect(success, `${method} ${path}`).toHaveLength(1);
      if (success[0] === "204") expect(responses["204"]?.content, `${method} ${path}`).toBeUndefined();
      else {
        // JSON, or a streamed file in the media types rest-handler.ts STREAMED declares.
        const streamed = STREAMED[procedureOf.get(`${method} ${path}`) ?? ""];
        const expected = streamed ? streamed.contentTypes.map((t) => t.split(";")[0]) : ["application/json"];
        expect(Object.keys(responses[success[0] ?? ""]?.content ?? {}), `${method} ${path}`).toEqual(expected);
      }
    }
  });

  it("describes the id path parameter and the request bodies", () => {
    for (const method of ["get", "patch", "delete"]) {
      const op = paths["/contacts/{id}"]?.[method];
      expect(op?.parameters?.find((p) => p.in === "path" && p.name === "id")?.required, method).toBe(true);
    }
    expect(paths["/contacts"]?.post?.requestBody).toBeDefined();
    expect(paths["/contacts/{id}"]?.patch?.requestBody).toBeDefined();
  });

  it("is served as JSON with the API headers", async () => {
    const rt = createTestRuntime();
    const res = handleOpenApiDocument(new Request("http://localhost:3000/api/openapi.json"), rt);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(doc)));
  });
});
