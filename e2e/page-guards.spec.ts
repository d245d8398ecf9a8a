import { type APIRequestContext, type APIResponse, expect, request as playwrightRequest, test } from "@playwright/test";
import { E2E_PORT } from "../playwright.config";
import { answerSecondStep, ensureUser } from "./state";

/**
 * What the pages give people who should not have it, asked for the way a
 * client can ask (plain HTTP, no browser): the admin pages to members and
 * strangers in every kind of request Next.js answers; return-to targets that
 * would leave the site; NextAuth's URLs and cookies behind a proxy that names
 * the internal host.
 *
 * The rule for the admin pages: a signed-in member gets a 404 for every
 * request kind (admin pages do not exist for members). Without a live session
 * (no cookie, or the cookie of a session that has ended) a page request (GET
 * or HEAD of the document) is sent to sign in with the page as its return-to,
 * like every other page; every other kind (RSC, prefetch, server action, …)
 * is still a plain 404. Nobody but an admin gets any admin text.
 */

const APP = `http://localhost:${E2E_PORT}`;
const ADMIN = { email: "guards-admin@example.com", password: "guards admin passphrase 7" };
const MEMBER = { email: "guards-member@example.com", password: "guards member passphrase 7" };

/** Every admin route, with text that only its page segment (or the admin layout) renders. */
const ADMIN_ROUTES: Array<[string, string]> = [
  ["/admin", "Most rejected IP addresses"],
  ["/admin/users", "UsersManager"],
  ["/admin/audit", "AuditLogViewer"],
  ["/admin/cors", "Web pages on these origins may call the API"],
  ["/admin/keys", "gatehouse keys rotate"],
  ["/admin/oauth-clients", "Applications registered here"],
  ["/admin/rate-limits", "Every API call counts against its caller"],
  ["/admin/tokens", "AdminTokens"],
];
/** Text of the admin layout (its navigation), in an HTML page or an RSC payload. */
const ADMIN_LAYOUT_MARKERS = ["/admin/rate-limits", "/admin/oauth-clients"];

/** The router state of a client that already shows /admin: Next.js then renders only what differs (the page). */
const ADMIN_STATE_TREE = encodeURIComponent(
  JSON.stringify(["", { children: ["admin", { children: ["__PAGE__", {}] }] }]),
);

type Kind = {
  name: string;
  method: "GET" | "HEAD" | "POST";
  path?: (p: string) => string;
  headers?: Record<string, string>;
};
const KINDS: Kind[] = [
  { name: "HTML", method: "GET", headers: { accept: "text/html" } },
  { name: "RSC: 1", method: "GET", headers: { rsc: "1" } },
  { name: "?_rsc=", method: "GET", path: (p) => `${p}?_rsc=g8x1k`, headers: { rsc: "1" } },
  { name: "?_rsc= without the header", method: "GET", path: (p) => `${p}?_rsc=g8x1k` },
  { name: "prefetch", method: "GET", headers: { rsc: "1", "next-router-prefetch": "1" } },
  {
    name: "segment prefetch",
    method: "GET",
    headers: { rsc: "1", "next-router-prefetch": "1", "next-router-segment-prefetch": "/_tree" },
  },
  {
    name: "state tree (layout skipped)",
    method: "GET",
    headers: { rsc: "1", "next-router-state-tree": ADMIN_STATE_TREE },
  },
  {
    name: "server action",
    method: "POST",
    headers: {
      "next-action": "7f3a9c0d2b4e6f8a1c3e5d7b9a0f2e4c6d8b0a1f",
      "content-type": "text/plain;charset=UTF-8",
      origin: APP,
      "next-router-state-tree": ADMIN_STATE_TREE,
    },
  },
  { name: "HEAD", method: "HEAD" },
  { name: "trailing slash", method: "GET", path: (p) => `${p}/`, headers: { rsc: "1" } },
];

async function signedIn(user: { email: string; password: string }): Promise<APIRequestContext> {
  const ctx = await playwrightRequest.newContext({ baseURL: APP });
  const csrf = (await (await ctx.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const password = await ctx.post("/api/auth/callback/credentials", {
    form: { csrfToken: csrf.csrfToken, email: user.email, password: user.password, callbackUrl: `${APP}/` },
    headers: { origin: APP },
    maxRedirects: 0,
  });
  // An admin has a second factor (ADMIN_2FA=required): the code, as the form's second step sends it.
  const res = (await answerSecondStep(ctx, user.email, APP)) ?? password;
  // A form POST that redirects answers 303 See Other (server/auth/auth-request.ts).
  expect(res.status(), `sign-in of ${user.email}`).toBe(303);
  const state = await ctx.storageState();
  expect(state.cookies.some((c) => c.name === "gatehouse.session")).toBe(true);
  return ctx;
}

function send(ctx: APIRequestContext, kind: Kind, route: string): Promise<APIResponse> {
  const url = kind.path ? kind.path(route) : route;
  // Redirects are followed (Next.js sends an RSC request without the right `_rsc` value to one with it;
  // a trailing slash to the path without it): what counts is what the client finally gets.
  return ctx.fetch(url, {
    method: kind.method,
    headers: kind.headers,
    data: kind.method === "POST" ? "[]" : undefined,
    maxRedirects: 5,
  });
}

test.describe("admin pages: no segment, layout or payload for anyone but an admin", () => {
  let admin: APIRequestContext;
  let member: APIRequestContext;
  let anonymous: APIRequestContext;

  test.beforeAll(async () => {
    ensureUser(ADMIN.email, ADMIN.password, "admin");
    ensureUser(MEMBER.email, MEMBER.password, "member");
    [admin, member, anonymous] = await Promise.all([
      signedIn(ADMIN),
      signedIn(MEMBER),
      playwrightRequest.newContext({ baseURL: APP }),
    ]);
  });
  test.afterAll(async () => {
    await Promise.all([admin?.dispose(), member?.dispose(), anonymous?.dispose()]);
  });

  test("member: every admin route, every request kind, is a 404 without admin data", async () => {
    const failures: string[] = [];
    for (const [route, marker] of ADMIN_ROUTES) {
      for (const kind of KINDS) {
        const res = await send(member, kind, route);
        const body = kind.method === "HEAD" ? "" : await res.text();
        const label = `member ${kind.name} ${route}: ${res.status()} ${res.headers()["content-type"] ?? ""}`;
        if (res.status() !== 404) failures.push(`${label} (expected 404)`);
        for (const text of [marker, ...ADMIN_LAYOUT_MARKERS]) {
          if (body.includes(text)) failures.push(`${label} carries ${JSON.stringify(text)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  for (const who of ["anonymous", "ended session"] as const) {
    test(`${who}: every GET and HEAD of an admin route goes to sign-in with the return-to; a server action is a 404; no admin data`, async () => {
      let ctx = anonymous;
      if (who === "ended session") {
        // A copy of a signed-in admin's cookie whose session then ends (signed out in the original).
        const original = await signedIn(ADMIN);
        ctx = await playwrightRequest.newContext({ baseURL: APP, storageState: await original.storageState() });
        const csrf = (await (await original.get("/api/auth/csrf")).json()) as { csrfToken: string };
        const out = await original.post("/api/auth/signout", {
          form: { csrfToken: csrf.csrfToken },
          headers: { origin: APP },
          maxRedirects: 0,
        });
        expect(out.status()).toBe(303);
        await original.dispose();
        expect((await ctx.storageState()).cookies.some((c) => c.name === "gatehouse.session")).toBe(true);
      }
      const failures: string[] = [];
      for (const [route, marker] of ADMIN_ROUTES) {
        for (const kind of KINDS) {
          const url = kind.path ? kind.path(route) : route;
          // Next.js hands the proxy every GET as a document (it strips the RSC headers and `_rsc` first),
          // so an RSC GET is redirected too, and the client router follows it to the sign-in page.
          const once = (u: string) =>
            ctx.fetch(u, {
              method: kind.method,
              headers: kind.headers,
              data: kind.method === "POST" ? "[]" : undefined,
              maxRedirects: 0,
            });
          let first = await once(url);
          // Next.js's own trailing-slash 308 comes before the proxy: to the same route, nothing else.
          if (first.status() === 308 && first.headers().location === route) first = await once(route);
          const label = `${who} ${kind.name} ${route}: ${first.status()} ${first.headers()["content-type"] ?? ""}`;
          let body = kind.method === "HEAD" ? "" : await first.text();
          if (kind.method === "POST") {
            if (first.status() !== 404) failures.push(`${label} (expected 404)`);
          } else {
            const location = first.headers().location ?? "";
            const target = new URL(location, APP);
            if (first.status() !== 303) failures.push(`${label} (expected 303)`);
            if (target.origin !== APP || target.pathname !== "/signin") failures.push(`${label} -> ${location}`);
            const back = target.searchParams.get("callbackUrl");
            if (back !== route && back !== `${route}/`) failures.push(`${label} return-to ${location}`);
            if (first.headers()["cache-control"] !== "no-store") failures.push(`${label} cacheable`);
            // Followed: the sign-in page, whose only mention of the route is the return-to it keeps.
            const landed = await send(ctx, kind, route);
            if (landed.status() !== 200 || new URL(landed.url()).pathname !== "/signin") {
              failures.push(`${label} lands on ${landed.status()} ${landed.url()}`);
            }
            if (kind.method !== "HEAD") body += (await landed.text()).replaceAll(route, "");
          }
          for (const text of [marker, ...ADMIN_LAYOUT_MARKERS]) {
            if (body.includes(text)) failures.push(`${label} carries ${JSON.stringify(text)}`);
          }
        }
      }
      // Followed, the redirect lands on the sign-in page, which shows nothing of the admin page.
      const landed = await ctx.get("/admin/users", { headers: { accept: "text/html" } });
      expect(landed.status()).toBe(200);
      expect(new URL(landed.url()).pathname).toBe("/signin");
      const html = await landed.text();
      expect(html).toContain("Sign in to Gatehouse");
      for (const text of ["UsersManager", ...ADMIN_LAYOUT_MARKERS]) expect(html).not.toContain(text);
      // The query and odd spellings of the path: the return-to is the path asked for, on our origin.
      const asked: Array<[string, string]> = [
        ["/admin/audit?action=session.login&q=a%20b", "/admin/audit?action=session.login&q=a+b"],
        ["/Admin/users", "/Admin/users"],
        ["/%61dmin/keys", "/%61dmin/keys"],
      ];
      for (const [path, back] of asked) {
        const res = await ctx.get(path, { headers: { accept: "text/html" }, maxRedirects: 0 });
        expect(res.status(), path).toBe(303);
        const target = new URL(res.headers().location ?? "", APP);
        expect([target.origin, target.pathname], path).toEqual([APP, "/signin"]);
        expect(target.searchParams.get("callbackUrl"), path).toBe(back);
      }
      if (who === "ended session") await ctx.dispose();
      expect(failures).toEqual([]);
    });
  }

  test("an admin still gets every admin page, as HTML and as RSC", async () => {
    for (const [route, marker] of ADMIN_ROUTES) {
      // The state tree says "I show /admin": for /admin itself there is then nothing left to render.
      const kinds = (route === "/admin" ? [KINDS[0], KINDS[1]] : [KINDS[0], KINDS[1], KINDS[6]]) as Kind[];
      for (const kind of kinds) {
        const res = await send(admin, kind, route);
        expect(res.status(), `${kind.name} ${route}`).toBe(200);
        expect(await res.text(), `${kind.name} ${route}`).toContain(marker);
      }
    }
  });
});

test.describe("return-to targets stay on this origin", () => {
  // Each resolves to another host in a browser, or broke the header (a line feed gave a 500).
  const HOSTILE = [
    "//evil.example/x",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "/%09/evil.example",
    "/%0A/evil.example",
    "/%0D%0A/evil.example",
    "/%0D%0ASet-Cookie:%20pwned=1",
    "%09//evil.example",
    "/%2F/evil.example".replace("%2F", "/"),
    "https://evil.example/",
    "https://localhost:1@evil.example/",
    "javascript:alert(1)",
    "/.//evil.example",
  ];

  let member: APIRequestContext;
  test.beforeAll(async () => {
    ensureUser(MEMBER.email, MEMBER.password, "member");
    member = await signedIn(MEMBER);
  });
  test.afterAll(async () => member?.dispose());

  /** The Location a response sends the browser to, resolved as a browser would; never a 5xx. */
  function targetOf(res: APIResponse, from: string): URL {
    expect(res.status(), from).toBeLessThan(500);
    const location = res.headers().location;
    expect(location, `${from}: a redirect`).toBeTruthy();
    expect(location, from).not.toMatch(/[\u0000-\u001f\u007f\\]/);
    return new URL(location as string, APP);
  }

  test("a signed-in GET /signin?callbackUrl=… is sent to our origin only", async () => {
    for (const value of HOSTILE) {
      const from = `/signin?callbackUrl=${value}`;
      const res = await member.get(from, { maxRedirects: 0 });
      const target = targetOf(res, from);
      expect(target.origin, from).toBe(APP);
      expect(res.headers()["set-cookie"] ?? "", from).not.toContain("pwned");
    }
    // A path of ours is still followed.
    const ok = await member.get(`/signin?callbackUrl=${encodeURIComponent("/contacts?x=1")}`, { maxRedirects: 0 });
    expect(targetOf(ok, "own path").href).toBe(`${APP}/contacts?x=1`);
  });

  test("NextAuth's sign-in and sign-out answers follow only our origin", async () => {
    const stranger = await playwrightRequest.newContext({ baseURL: APP });
    for (const value of HOSTILE) {
      const callbackUrl = decodeURIComponent(value);
      const csrf = (await (await stranger.get("/api/auth/csrf")).json()) as { csrfToken: string };
      const signIn = await stranger.post("/api/auth/callback/credentials", {
        form: { csrfToken: csrf.csrfToken, email: MEMBER.email, password: MEMBER.password, callbackUrl },
        headers: { origin: APP },
        maxRedirects: 0,
      });
      expect(targetOf(signIn, `sign-in ${value}`).origin).toBe(APP);
      expect(signIn.status(), `sign-in ${value}`).toBe(303);
      const csrf2 = (await (await stranger.get("/api/auth/csrf")).json()) as { csrfToken: string };
      const signOut = await stranger.post("/api/auth/signout", {
        form: { csrfToken: csrf2.csrfToken, callbackUrl },
        headers: { origin: APP },
        maxRedirects: 0,
      });
      expect(targetOf(signOut, `sign-out ${value}`).origin).toBe(APP);
      expect(signOut.status(), `sign-out ${value}`).toBe(303);
    }
    await stranger.dispose();
  });

  test("the change-password page hands its form only a target on our origin", async () => {
    /** The form's returnTo prop, as serialized into the page's payload (inside a script string: escaped quotes). */
    const returnToOf = (html: string): string | undefined => /\\"returnTo\\":\\"([^"\\]*)\\"/.exec(html)?.[1];
    for (const value of HOSTILE) {
      const res = await member.get(`/change-password?callbackUrl=${value}`);
      expect(res.status(), value).toBe(200);
      const returnTo = returnToOf(await res.text()) ?? "(none)";
      expect(returnTo, value).toMatch(/^\/(?!\/)/);
      expect(returnTo, value).not.toMatch(/[\u0000-\u001f\u007f\\]/);
      expect(new URL(returnTo, APP).origin, value).toBe(APP);
    }
    const own = await member.get(`/change-password?callbackUrl=${encodeURIComponent("/oauth/authorize?x=1")}`);
    expect(returnToOf(await own.text())).toBe("/oauth/authorize?x=1");
  });
});

test.describe("behind a proxy, NextAuth names APP_URL's origin", () => {
  // What a reverse proxy (or a client, when nothing strips them) may send: the internal host and scheme.
  const PROXIED: Array<Record<string, string>> = [
    { "x-forwarded-proto": "https" },
    { "x-forwarded-host": "internal.lan:8443", "x-forwarded-proto": "https" },
    { host: `127.0.0.1:${E2E_PORT}` },
    { host: "internal.lan:9000" },
  ];

  /** Every absolute URL in the answer's Location, cookies and JSON body. */
  async function urlsIn(res: APIResponse): Promise<string[]> {
    const texts = [
      res.headers().location ?? "",
      ...res
        .headersArray()
        .filter((h) => h.name.toLowerCase() === "set-cookie")
        .map((h) => decodeURIComponent(h.value)),
    ];
    if ((res.headers()["content-type"] ?? "").includes("json")) texts.push(await res.text());
    const location = res.headers().location;
    if (location?.startsWith("/")) texts.push(decodeURIComponent(location));
    return texts.flatMap((t) => t.match(/https?:\/\/[^\s;"&,]+/g) ?? []);
  }

  test("redirects, callback cookies and returned URLs use APP_URL, whatever Host and X-Forwarded-* say", async () => {
    const ctx = await playwrightRequest.newContext({ baseURL: APP });
    const seen: string[] = [];
    for (const headers of PROXIED) {
      for (const path of ["/api/auth/signin", "/api/auth/csrf", "/api/auth/signout", "/api/auth/providers"]) {
        const res = await ctx.get(path, { headers, maxRedirects: 0 });
        expect(res.status(), path).toBeLessThan(500);
        for (const url of await urlsIn(res)) seen.push(`${JSON.stringify(headers)} ${path}: ${url}`);
      }
      const csrf = (await (await ctx.get("/api/auth/csrf", { headers })).json()) as { csrfToken: string };
      const signIn = await ctx.post("/api/auth/callback/credentials", {
        form: { csrfToken: csrf.csrfToken, email: MEMBER.email, password: "not the password at all" },
        headers: { ...headers, origin: APP },
        maxRedirects: 0,
      });
      for (const url of await urlsIn(signIn)) seen.push(`${JSON.stringify(headers)} sign-in: ${url}`);
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((line) => !line.split(": ")[1]?.startsWith(`${APP}`))).toEqual([]);
    await ctx.dispose();
  });
});
