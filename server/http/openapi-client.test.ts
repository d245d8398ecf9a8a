import createClient from "openapi-fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { components, paths } from "./openapi-types.gen";
import { limitToken, type RestServer, startRestServer, userWithToken } from "./testing/rest-server";

/**
 * A client generated from our OpenAPI document, used as an external
 * developer would use it: openapi-typescript's types (openapi-types.gen.ts,
 * checked against a fresh generation by openapi-types.test.ts, so never
 * stale) and openapi-fetch, against a real server over HTTP (127.0.0.1, a
 * free port). `tsc --noEmit` type-checks this file against those types: every
 * field read below — the created contact's id, the 400's `errors`, the
 * 403's `scopes`, the 429's `retryAfterSeconds` and its `Retry-After`
 * header — is typed from the document, not cast.
 */

type Problem = components["schemas"]["Problem"];
/** The documented type of a 429's Retry-After header (an integer of seconds). */
type RetryAfter = paths["/contacts"]["get"]["responses"][429]["headers"]["Retry-After"];
/** The documented type of a 201's Location header. */
type Location = paths["/contacts"]["post"]["responses"][201]["headers"]["Location"];

let server: RestServer;
let token: string;
let reader: string;
let limited: { token: string; tokenId: string };

const client = (credential: string | null) =>
  createClient<paths>({
    baseUrl: server.api,
    headers: credential ? { authorization: `Bearer ${credential}` } : {},
  });

beforeAll(async () => {
  server = await startRestServer();
  ({ token } = await userWithToken(server.rt, "alice@example.com", ["contacts:read", "contacts:write"]));
  ({ token: reader } = await userWithToken(server.rt, "reader@example.com", ["contacts:read"]));
  limited = await userWithToken(server.rt, "limited@example.com", ["contacts:read"]);
});
afterAll(async () => {
  await server?.close();
});

describe("a typed client generated from the document, against a real server", () => {
  it("creates (201 + Location), reads, lists, changes and deletes (204) a contact", async () => {
    const api = client(token);
    const created = await api.POST("/contacts", {
      body: { name: "Ada", email: "ada@example.com", phone: "+41 44 668 18 00" },
    });
    expect(created.response.status).toBe(201);
    const id: string = created.data?.id ?? "";
    const location: Location = created.response.headers.get("location") ?? "";
    expect(location).toBe(`/api/v1/contacts/${id}`);
    expect(created.data).toMatchObject({ name: "Ada", email: "ada@example.com", phone: "+41446681800" });

    const read = await api.GET("/contacts/{id}", { params: { path: { id } } });
    expect(read.data?.name).toBe("Ada");
    const page = await api.GET("/contacts", { params: { query: { limit: 5 } } });
    expect(page.data?.items.map((c) => c.id)).toEqual([id]);
    expect(page.data?.nextCursor).toBeNull();

    const changed = await api.PATCH("/contacts/{id}", { params: { path: { id } }, body: { notes: "met at the lab" } });
    expect(changed.data?.notes).toBe("met at the lab");

    const deleted = await api.DELETE("/contacts/{id}", { params: { path: { id } } });
    expect(deleted.response.status).toBe(204);
    expect(deleted.data).toBeUndefined();
    expect(deleted.response.headers.get("content-type")).toBeNull();
    const gone = await api.GET("/contacts/{id}", { params: { path: { id } } });
    expect(gone.response.status).toBe(404);
  });

  it("reads a 400's `errors`, a 401's challenge and a 403's `scopes` from typed problems", async () => {
    const bad = await client(token).POST("/contacts", { body: { name: "", email: "not an address" } });
    expect(bad.response.status).toBe(400);
    const problem: Problem | undefined = bad.error;
    expect(problem?.type).toBe("urn:gatehouse:problem:invalid_input");
    expect(problem?.errors?.map((e) => e.path).sort()).toEqual(["email", "name"]);

    const anonymous = await client(null).GET("/contacts", {});
    expect(anonymous.response.status).toBe(401);
    expect(anonymous.response.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse"');
    expect(anonymous.error?.status).toBe(401);

    const denied = await client(reader).POST("/contacts", { body: { name: "A", email: "a@example.com" } });
    expect(denied.response.status).toBe(403);
    expect(denied.error?.scopes).toEqual(["contacts:write"]);
  });

  it("reads a 429's Retry-After (header and body) from the typed response", async () => {
    await limitToken(server.rt, limited.tokenId, 1);
    const api = client(limited.token);
    expect((await api.GET("/contacts", {})).response.status).toBe(200);
    const refused = await api.GET("/contacts", {});
    expect(refused.response.status).toBe(429);
    const header: RetryAfter = Number(refused.response.headers.get("retry-after"));
    const body: number | undefined = refused.error?.retryAfterSeconds;
    expect(header).toBeGreaterThan(0);
    expect(body).toBe(header);
    expect(refused.error?.["violated-policies"]).toEqual(["api"]);
    expect(refused.response.headers.get("ratelimit")).toMatch(/^"api";r=0;t=\d+$/);
  });
});
