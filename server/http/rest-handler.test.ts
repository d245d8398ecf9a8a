import { encode } from "next-auth/jwt";
import { beforeEach, describe, expect, it } from "vitest";
import { contacts } from "@/db/schema";
import { sessionCookieName } from "../auth/session-cookie";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { handleRest } from "./rest-handler";
import { handleTrpc, MAX_BATCH_SIZE } from "./trpc-handler";

const ORIGIN = "http://localhost:3000";

/** A real session cookie, as NextAuth would set it after sign-in. */
async function sessionCookie(rt: TestRuntime, userId: string, sessionId: string): Promise<string> {
  const name = sessionCookieName(rt.config.secure);
  const token = await encode({ token: { sub: userId, sid: sessionId }, secret: rt.config.authSecret, salt: name });
  return `${name}=${token}`;
}

function expectApiHeaders(res: Response) {
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9_.:-]{8,64}$/);
}

async function expectProblem(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expectApiHeaders(res);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  return body;
}

/** A body that produces `chunk` bytes forever, counting how much was pulled. */
function endlessBody(chunk = 1024) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulled += chunk;
      controller.enqueue(new TextEncoder().encode(`"${"a".repeat(chunk - 2)}"`));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe("REST bridge", () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;

  const rest = (path: string, init: RequestInit = {}) => handleRest(new Request(`${ORIGIN}/api/v1${path}`, init), rt);

  beforeEach(async () => {
    rt = createTestRuntime({ maxBodyBytes: 4096 });
    alice = await seedUser(rt, "alice@example.com");
  });

  it("answers a call without credentials with 401 problem+json and a bare Bearer challenge", async () => {
    const res = await rest("/contacts");
    const body = await expectProblem(res, 401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse"');
    expect(res.headers.get("www-authenticate")).not.toContain("error=");
    expect(body.type).toBe("urn:gatehouse:problem:missing_credentials");
    expect(body.instance).toBe(`urn:gatehouse:request:${res.headers.get("x-request-id")}`);
  });

  it("answers an invalid bearer token with 401 and error=invalid_token", async () => {
    const res = await rest("/contacts", { headers: { authorization: "Bearer garbage" } });
    const body = await expectProblem(res, 401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse", error="invalid_token"');
    expect(body.type).toBe("urn:gatehouse:problem:invalid_token");
  });

  it("does not honour the session cookie, which the tRPC door accepts", async () => {
    const cookie = await sessionCookie(rt, alice.user.id, alice.session.id);

    const trpc = await handleTrpc(
      new Request(`${ORIGIN}/api/trpc/contacts.list?input=${encodeURIComponent("{}")}`, { headers: { cookie } }),
      rt,
    );
    expect(trpc.status).toBe(200);
    const trpcBody = (await trpc.json()) as { result: { data: { items: unknown[] } } };
    expect(trpcBody.result.data.items).toEqual([]);

    const res = await rest("/contacts", { headers: { cookie } });
    await expectProblem(res, 401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse"');

    const write = await rest("/contacts", {
      method: "POST",
      headers: { cookie, origin: ORIGIN, "content-type": "application/json" },
      body: JSON.stringify({ name: "Via cookie", email: "c@example.com" }),
    });
    await expectProblem(write, 401);
    expect(await rt.db.select().from(contacts).all()).toHaveLength(0);
  });

  it("refuses a body over the cap with 413 before parsing, when Content-Length declares it", async () => {
    const res = await rest("/contacts", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "5000" },
      body: JSON.stringify({ name: "x".repeat(4980), email: "a@example.com" }),
    });
    const body = await expectProblem(res, 413);
    expect(body.type).toBe("urn:gatehouse:problem:body_too_large");

    // The declared length alone decides: the (small) body is never read.
    const declared = await rest("/contacts", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "4097" },
      body: "{}",
    });
    await expectProblem(declared, 413);
  });

  it("refuses a streamed body over the cap with 413, cutting it off as soon as it passes the cap", async () => {
    const { stream, state } = endlessBody();
    const res = await rest("/contacts", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    const body = await expectProblem(res, 413);
    expect(body.type).toBe("urn:gatehouse:problem:body_too_large");
    expect(state.pulled).toBeLessThan(64 * 1024);
  });

  it("refuses a non-JSON body with 415", async () => {
    const res = await rest("/contacts", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "name=x",
    });
    const body = await expectProblem(res, 415);
    expect(body.type).toBe("urn:gatehouse:problem:json_required");
  });

  it("answers an unknown path with 404 problem+json", async () => {
    await expectProblem(await rest("/nope"), 404);
    await expectProblem(await rest("/contacts/con_aaaaaaaaaaaaaaaaaaaa/extra"), 404);
  });

  it("marks an unknown endpoint with its own problem type, distinct from a missing record", async () => {
    // rest-handler.ts builds reason "no_such_endpoint" / "No such endpoint" for this case.
    const body = await expectProblem(await rest("/nope"), 404);
    expect(body.type).toBe("urn:gatehouse:problem:no_such_endpoint");
    expect(body.detail).toBe("No such endpoint");
  });

  it("answers malformed JSON with 400 malformed_json, without a stack", async () => {
    const res = await rest("/contacts", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name": ',
    });
    const body = await expectProblem(res, 400);
    expect(body.type).toBe("urn:gatehouse:problem:malformed_json");
    expect(JSON.stringify(body)).not.toMatch(/stack|node_modules|\bat .+:\d+:\d+/);
  });

  it("echoes a well-formed X-Request-Id and replaces a malformed one", async () => {
    const good = "client-req-12345678";
    const echoed = await rest("/contacts", { headers: { "x-request-id": good } });
    expect(echoed.headers.get("x-request-id")).toBe(good);
    expect(((await echoed.json()) as { instance: string }).instance).toBe(`urn:gatehouse:request:${good}`);

    for (const bad of ["short", "has spaces in it", "x".repeat(65), "semi;colon-12345", "<script>alert(1)</script>"]) {
      const res = await rest("/contacts", { headers: { "x-request-id": bad } });
      const id = res.headers.get("x-request-id");
      expect(id, bad).not.toBe(bad);
      expect(id).toMatch(/^req_[0-9a-z]{20}$/);
    }
  });

  it("puts the API headers on every response, errors included", async () => {
    const responses = [
      await rest("/contacts"),
      await rest("/nope"),
      await rest("/contacts", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }),
      await rest("/contacts", {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": "999999" },
        body: "{}",
      }),
    ];
    for (const res of responses) expectApiHeaders(res);
  });
});

describe("tRPC door", () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;
  let cookie: string;

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    handleTrpc(
      new Request(`${ORIGIN}/api/trpc/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: ORIGIN, cookie, ...headers },
        body,
      }),
      rt,
    );
  const contactCount = async () => (await rt.db.select().from(contacts).all()).length;
  const input = { name: "Ada Lovelace", email: "ada@example.com" };

  beforeEach(async () => {
    rt = createTestRuntime({ maxBodyBytes: 4096 });
    alice = await seedUser(rt, "alice@example.com");
    cookie = await sessionCookie(rt, alice.user.id, alice.session.id);
  });

  it("refuses a cookie-authenticated mutation from another origin with 403, creating nothing", async () => {
    const res = await post("contacts.create", JSON.stringify(input), { origin: "https://evil.example" });
    const body = await expectProblem(res, 403);
    expect(body.type).toBe("urn:gatehouse:problem:csrf");
    expect(await contactCount()).toBe(0);

    // A forged Referer does not help, and neither does leaving both out.
    const noOrigin = await handleTrpc(
      new Request(`${ORIGIN}/api/trpc/contacts.create`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie, referer: "https://evil.example/page" },
        body: JSON.stringify(input),
      }),
      rt,
    );
    expect(noOrigin.status).toBe(403);
    const neither = await handleTrpc(
      new Request(`${ORIGIN}/api/trpc/contacts.create`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify(input),
      }),
      rt,
    );
    expect(neither.status).toBe(403);
    expect(await contactCount()).toBe(0);
  });

  it("accepts the same mutation from our own origin, batched or not", async () => {
    const res = await post("contacts.create", JSON.stringify(input));
    expect(res.status).toBe(200);
    expectApiHeaders(res);
    const body = (await res.json()) as { result: { data: { id: string; name: string } } };
    expect(body.result.data.name).toBe("Ada Lovelace");
    expect(body.result.data.id).toMatch(/^con_/);
    expect(await contactCount()).toBe(1);

    const batched = await post("contacts.create?batch=1", JSON.stringify({ 0: { ...input, name: "Second" } }));
    expect(batched.status).toBe(200);
    expect(await contactCount()).toBe(2);

    // Our own page, Origin stripped by a privacy setting: the Referer stands in.
    const viaReferer = await handleTrpc(
      new Request(`${ORIGIN}/api/trpc/contacts.create`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie, referer: `${ORIGIN}/contacts` },
        body: JSON.stringify({ ...input, name: "Third" }),
      }),
      rt,
    );
    expect(viaReferer.status).toBe(200);
    expect(await contactCount()).toBe(3);
  });

  it("never runs a mutation sent as GET, even with a valid cookie", async () => {
    const res = await handleTrpc(
      new Request(`${ORIGIN}/api/trpc/contacts.create?input=${encodeURIComponent(JSON.stringify(input))}`, {
        headers: { cookie },
      }),
      rt,
    );
    expect(res.status).toBe(405);
    expect(await contactCount()).toBe(0);
  });

  it("refuses a text/plain body with 415", async () => {
    const res = await post("contacts.create", JSON.stringify(input), { "content-type": "text/plain" });
    const body = await expectProblem(res, 415);
    expect(body.type).toBe("urn:gatehouse:problem:json_required");
    expect(await contactCount()).toBe(0);
  });

  it("answers malformed JSON with 400 and no stack trace", async () => {
    const res = await post("contacts.create", '{"name": "Ada", ');
    expect(res.status).toBe(400);
    expectApiHeaders(res);
    const text = await res.text();
    expect(text).not.toMatch(/stack/i);
    expect(text).not.toMatch(/\bat .+:\d+:\d+/);
    expect(text).not.toContain("node_modules");
    expect(text).not.toContain("/work/");
    expect(await contactCount()).toBe(0);
  });

  it("answers invalid input with 400 naming the field, and no stack", async () => {
    const res = await post("contacts.create", JSON.stringify({ name: "Ada", email: "nope" }));
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toMatch(/stack/i);
    const body = JSON.parse(text) as { error: { data: { issues: Array<{ path: string }> } } };
    expect(body.error.data.issues.map((i) => i.path)).toEqual(["email"]);
  });

  it("refuses a batch larger than the limit with 400, running none of it", async () => {
    const batch = (n: number) => {
      const paths = Array.from({ length: n }, () => "contacts.create").join(",");
      const body = Object.fromEntries(
        Array.from({ length: n }, (_, i) => [String(i), { name: `C${i}`, email: `c${i}@example.com` }]),
      );
      return post(`${paths}?batch=1`, JSON.stringify(body));
    };
    const tooMany = await batch(MAX_BATCH_SIZE + 1);
    expect(MAX_BATCH_SIZE + 1).toBe(11);
    expect(tooMany.status).toBe(400);
    expectApiHeaders(tooMany);
    expect(await contactCount()).toBe(0);

    const atLimit = await batch(MAX_BATCH_SIZE);
    expect(atLimit.status).toBe(200);
    expect(await contactCount()).toBe(MAX_BATCH_SIZE);
  });

  it("refuses a body over the cap with 413", async () => {
    const res = await post("contacts.create", JSON.stringify({ ...input, notes: "n".repeat(5000) }), {
      "content-length": "5050",
    });
    await expectProblem(res, 413);
    const { stream } = endlessBody();
    const streamed = await handleTrpc(
      new Request(`${ORIGIN}/api/trpc/contacts.create`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: ORIGIN, cookie },
        body: stream,
        duplex: "half",
      } as RequestInit),
      rt,
    );
    await expectProblem(streamed, 413);
    expect(await contactCount()).toBe(0);
  });

  it("answers without a session with 401 and echoes a well-formed request id", async () => {
    const res = await handleTrpc(
      new Request(`${ORIGIN}/api/trpc/contacts.list?input=${encodeURIComponent("{}")}`, {
        headers: { "x-request-id": "trace-abc-12345" },
      }),
      rt,
    );
    expect(res.status).toBe(401);
    expect(res.headers.get("x-request-id")).toBe("trace-abc-12345");
    expectApiHeaders(res);
  });
});
