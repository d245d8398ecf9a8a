import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PEER_HEADER, PEER_STAMP_ENV, PEER_STAMP_HEADER, PEER_TLS_HEADER } from "../security/client-ip";

/**
 * The two-step sign-in through the real NextAuth route on a real SQLite
 * file: what the browser gets back at each step (the pending sign-in
 * cookie and its attributes, the codes the form reads, the session cookie
 * only after the second factor), with and without JavaScript.
 */
const ORIGIN = "http://localhost:3000";
const PASSWORD = "correct horse battery staple";
const STAMP = "second-factor-route-stamp";
const EMAIL = "tess@example.com";
let dataDir: string;
let POST: (req: NextRequest) => Promise<Response>;
let GET: (req: NextRequest) => Promise<Response>;
let secret: string;
let totpCodeAt: (secret: string, ms: number) => string;

const fromPeer = (ip: string) => ({ [PEER_HEADER]: ip, [PEER_TLS_HEADER]: "0", [PEER_STAMP_HEADER]: STAMP });

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-2fa-route-"));
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
  const factors = await import("../services/second-factors");
  totpCodeAt = (await import("../services/second-factors-totp")).totpCodeAt;
  const runtime = getRuntime();
  const svc = {
    db: runtime.db,
    clock: runtime.clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "seed" },
    keyring: runtime.keyring,
  };
  const user = await createUser(svc, { email: EMAIL, role: "admin", password: PASSWORD });
  const started = await factors.startTotpEnrolment(svc, user);
  secret = started.secret;
  // Confirmed with the previous step's code, so the current step is free for the sign-in below.
  await factors.confirmTotpEnrolment(svc, user.id, started.factorId, totpCodeAt(secret, Date.now() - 30_000));
});

afterAll(() => {
  vi.unstubAllEnvs();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const setCookies = (res: Response): string[] => res.headers.getSetCookie?.() ?? [];
const named = (res: Response, name: string) => setCookies(res).find((c) => c.startsWith(`${name}=`));
const pair = (cookie: string | undefined) => cookie?.split(";")[0] ?? "";

async function csrf(): Promise<{ csrfToken: string; cookie: string }> {
  const res = await GET(new NextRequest(`${ORIGIN}/api/auth/csrf`));
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { csrfToken, cookie: setCookies(res).map(pair).join("; ") };
}

async function post(fields: Record<string, string>, opts: { cookie?: string; json?: boolean; ip?: string } = {}) {
  const { csrfToken, cookie } = await csrf();
  return POST(
    new NextRequest(`${ORIGIN}/api/auth/callback/credentials`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: ORIGIN,
        cookie: [cookie, opts.cookie].filter(Boolean).join("; "),
        ...(opts.json === false ? {} : { "x-auth-return-redirect": "1" }),
        ...fromPeer(opts.ip ?? "198.51.100.61"),
      },
      body: new URLSearchParams({ csrfToken, callbackUrl: `${ORIGIN}/admin`, ...fields }),
    }),
  );
}

const codeOf = async (res: Response) => new URL(((await res.json()) as { url: string }).url).searchParams.get("code");

describe("two-step sign-in through the NextAuth route", () => {
  it("password, then code: the pending cookie in between, the session only at the end", async () => {
    const first = await post({ email: EMAIL, password: PASSWORD });
    expect(await codeOf(first)).toBe("second_factor");
    expect(named(first, "gatehouse.session")).toBeUndefined();
    const pending = named(first, "gatehouse.pending-sign-in") as string;
    expect(pending).toMatch(/^gatehouse\.pending-sign-in=[A-Za-z0-9_-]{43}; /);
    expect(pending).toMatch(/HttpOnly/);
    expect(pending).toMatch(/SameSite=Strict/);
    expect(pending).toMatch(/Max-Age=300/);
    expect(first.headers.get("cache-control")).toBe("no-store");

    // A wrong code: refused as a credentials error, no session, the pending sign-in lives on.
    const wrong = await post({ email: EMAIL, code: "000000" }, { cookie: pair(pending) });
    expect(await codeOf(wrong)).toBe("credentials");
    expect(named(wrong, "gatehouse.session")).toBeUndefined();
    expect(named(wrong, "gatehouse.pending-sign-in")).toBeUndefined();

    const right = await post({ email: EMAIL, code: totpCodeAt(secret, Date.now()) }, { cookie: pair(pending) });
    expect(right.status).toBe(200);
    expect(((await right.json()) as { url: string }).url).toBe(`${ORIGIN}/admin`);
    expect(named(right, "gatehouse.session")).toBeTruthy();
    expect(named(right, "gatehouse.pending-sign-in")).toMatch(/^gatehouse\.pending-sign-in=; .*Max-Age=0/);

    // The handle was single use.
    const again = await post(
      { email: EMAIL, code: totpCodeAt(secret, Date.now() + 30_000) },
      { cookie: pair(pending) },
    );
    expect(await codeOf(again)).toBe("sign_in_expired");
    expect(named(again, "gatehouse.session")).toBeUndefined();
  });

  it("a code without a pending sign-in, or with a forged one: sign_in_expired, the cookie cleared", async () => {
    for (const cookie of [undefined, `gatehouse.pending-sign-in=${"A".repeat(43)}`, "gatehouse.pending-sign-in=x"]) {
      const res = await post({ email: EMAIL, code: "123456" }, { cookie });
      expect(await codeOf(res), String(cookie)).toBe("sign_in_expired");
      expect(named(res, "gatehouse.pending-sign-in")).toMatch(/Max-Age=0/);
      expect(named(res, "gatehouse.session")).toBeUndefined();
    }
  });

  it("without JavaScript the password step is still a 303 (back to the sign-in page), with the pending cookie", async () => {
    const res = await post({ email: EMAIL, password: PASSWORD }, { json: false, ip: "198.51.100.62" });
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get("location") as string).searchParams.get("code")).toBe("second_factor");
    expect(named(res, "gatehouse.pending-sign-in")).toBeTruthy();
  });
});
