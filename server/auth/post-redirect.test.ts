import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PEER_HEADER, PEER_STAMP_ENV, PEER_STAMP_HEADER, PEER_TLS_HEADER } from "../security/client-ip";
import { seeOtherAfterPost } from "./auth-request";

/**
 * Every form POST of the sign-in route that answers with a redirect answers
 * 303 See Other (the browser GETs the next page and never re-sends the
 * password), through the real NextAuth route on a real SQLite file.
 */
const ORIGIN = "http://localhost:3000";
const PASSWORD = "correct horse battery staple";
const STAMP = "post-redirect-test-stamp";
let dataDir: string;
let POST: (req: NextRequest) => Promise<Response>;
let GET: (req: NextRequest) => Promise<Response>;

const fromPeer = (ip: string) => ({ [PEER_HEADER]: ip, [PEER_TLS_HEADER]: "0", [PEER_STAMP_HEADER]: STAMP });

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-post-redirect-"));
  vi.stubEnv("DATA_DIR", dataDir);
  vi.stubEnv("APP_URL", ORIGIN);
  vi.stubEnv("AUTH_SECRET", "test-secret-test-secret-test-secret-0123456789");
  vi.stubEnv("ADMIN_EMAIL", "");
  vi.stubEnv("ADMIN_PASSWORD", "");
  vi.stubEnv("REDIS_URL", "");
  vi.stubEnv("UPSTASH_REDIS_REST_URL", "");
  vi.stubEnv("UPSTASH_REDIS_REST_TOKEN", "");
  vi.stubEnv(PEER_STAMP_ENV, STAMP);
  const route = await import("@/app/api/auth/[...nextauth]/route");
  POST = route.POST;
  GET = route.GET as unknown as typeof GET;
  const { getRuntime } = await import("../runtime");
  const { createUser } = await import("../services/users");
  const { SYSTEM_ACTOR } = await import("../services/audit");
  const runtime = getRuntime();
  await createUser(
    {
      db: runtime.db,
      clock: runtime.clock,
      actor: SYSTEM_ACTOR,
      client: { ip: null, userAgent: null, requestId: "seed" },
    },
    { email: "dora@example.com", role: "member", password: PASSWORD },
  );
});

afterAll(() => {
  vi.unstubAllEnvs();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const cookiesOf = (res: Response): string[] => (res.headers.getSetCookie?.() ?? []).map((c) => c.split(";")[0] ?? "");

async function csrf(): Promise<{ csrfToken: string; cookie: string }> {
  const res = await GET(new NextRequest(`${ORIGIN}/api/auth/csrf`));
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { csrfToken, cookie: cookiesOf(res).join("; ") };
}

/** The sign-in form as a browser without JavaScript posts it: no x-auth-return-redirect header. */
async function formPost(
  pathname: string,
  fields: Record<string, string>,
  opts: { ip: string; cookie?: string; json?: boolean },
): Promise<Response> {
  const { csrfToken, cookie } = await csrf();
  return POST(
    new NextRequest(`${ORIGIN}${pathname}`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: ORIGIN,
        cookie: [cookie, opts.cookie].filter(Boolean).join("; "),
        ...(opts.json ? { "x-auth-return-redirect": "1" } : {}),
        ...fromPeer(opts.ip),
      },
      body: new URLSearchParams({ csrfToken, ...fields }),
    }),
  );
}

describe("sign-in and sign-out form POSTs redirect with 303", () => {
  it("a successful sign-in: 303 to the return address, with the session cookie", async () => {
    for (const callbackUrl of [`${ORIGIN}/contacts`, `${ORIGIN}/oauth/authorize?client_id=x&state=a%20b`]) {
      const res = await formPost(
        "/api/auth/callback/credentials",
        { email: "dora@example.com", password: PASSWORD, callbackUrl },
        { ip: "198.51.100.31" },
      );
      expect(res.status, callbackUrl).toBe(303);
      expect(res.headers.get("location")).toBe(callbackUrl);
      expect(cookiesOf(res).some((c) => c.startsWith("gatehouse.session="))).toBe(true);
    }
  });

  it("a wrong password and an unknown email: the same 303 back to the sign-in page, no session", async () => {
    const answers: string[] = [];
    for (const [email, password] of [
      ["dora@example.com", "not the password at all"],
      ["nobody@example.com", PASSWORD],
    ] as const) {
      const res = await formPost(
        "/api/auth/callback/credentials",
        { email, password, callbackUrl: `${ORIGIN}/contacts` },
        { ip: "198.51.100.32" },
      );
      expect(res.status, email).toBe(303);
      expect(cookiesOf(res).some((c) => c.startsWith("gatehouse.session="))).toBe(false);
      answers.push(res.headers.get("location") as string);
    }
    expect(new URL(answers[0] as string).origin).toBe(ORIGIN);
    expect(answers[0]).toBe(answers[1]);
  });

  it("sign-out: 303", async () => {
    const signedIn = await formPost(
      "/api/auth/callback/credentials",
      { email: "dora@example.com", password: PASSWORD, callbackUrl: `${ORIGIN}/` },
      { ip: "198.51.100.33" },
    );
    const session = cookiesOf(signedIn).find((c) => c.startsWith("gatehouse.session="));
    expect(session).toBeTruthy();
    const res = await formPost(
      "/api/auth/signout",
      { callbackUrl: `${ORIGIN}/signin` },
      { ip: "198.51.100.33", cookie: session },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${ORIGIN}/signin`);
  });

  it("next-auth/react's fetch (x-auth-return-redirect) still gets its JSON 200, untouched", async () => {
    const res = await formPost(
      "/api/auth/callback/credentials",
      { email: "dora@example.com", password: PASSWORD, callbackUrl: `${ORIGIN}/contacts` },
      { ip: "198.51.100.34", json: true },
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toBe(`${ORIGIN}/contacts`);
  });
});

describe("seeOtherAfterPost", () => {
  it("turns 301, 302, 307 and 308 with a Location into 303, keeping every header", () => {
    for (const status of [301, 302, 307, 308]) {
      const headers = new Headers({ location: "/next" });
      headers.append("set-cookie", "a=1; Path=/");
      headers.append("set-cookie", "b=2; Path=/");
      const res = seeOtherAfterPost(new Response(null, { status, headers }));
      expect(res.status, String(status)).toBe(303);
      expect(res.headers.get("location")).toBe("/next");
      expect(res.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
    }
  });

  it("leaves every other answer alone (including a redirect status without a Location)", () => {
    for (const status of [200, 204, 303, 400, 429, 503]) {
      const res = new Response(null, { status, headers: status === 303 ? { location: "/x" } : {} });
      expect(seeOtherAfterPost(res)).toBe(res);
    }
    const bare = new Response(null, { status: 302 });
    expect(seeOtherAfterPost(bare)).toBe(bare);
  });
});
