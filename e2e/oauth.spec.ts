import http from "node:http";
import type { AddressInfo } from "node:net";
import { type APIRequestContext, type BrowserContext, expect, type Frame, type Page, test } from "@playwright/test";
import * as oauth from "oauth4webapi";
import { e2eState, ensureUser, signIn } from "./state";

/**
 * The OAuth 2.0 authorization code flow end to end: a real client library
 * (oauth4webapi, which checks what a careful client checks: issuer, state,
 * `iss` in the response, PKCE, token response shape) against the production
 * server, with the person's side played in Chromium — the admin registers
 * the client in the dashboard, a member signs in, consents, revokes and
 * denies. The client's redirect URI is on another site; the browser's last
 * hop to it is intercepted, as the client's own server would receive it.
 */

const ADMIN = { email: "oauth-admin@example.com", password: "oauth admin passphrase" };
const MEMBER = { email: "oauth-member@example.com", password: "oauth member passphrase" };
const APP_NAME = "E2E Contacts Reader";
const CLIENT_SITE = "https://app.example.test";
const REDIRECT_URI = `${CLIENT_SITE}/callback`;
const SCOPE = "contacts:read";

// The server runs on plain http://localhost: oauth4webapi refuses that unless told.
const insecure = { [oauth.allowInsecureRequests]: true } as const;

// Filled in as the serial tests go.
let as: oauth.AuthorizationServer;
let client: oauth.Client;
let clientAuth: oauth.ClientAuth;
let member: BrowserContext;
let page: Page;
let csp: string[];
let cspWarnings: string[];
/** Every URL the browser was sent to on the client's redirect URI. */
const callbacks: string[] = [];
/** Where the client's start page links to. */
let startHref = "about:blank";

/** One authorization request as a client would make it: fresh state and PKCE pair. */
interface Attempt {
  url: string;
  state: string;
  verifier: string;
}

async function newAttempt(): Promise<Attempt> {
  const state = oauth.generateRandomState();
  const verifier = oauth.generateRandomCodeVerifier();
  const url = new URL(as.authorization_endpoint as string);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", client.client_id);
  url.searchParams.set("redirect_uri", REDIRECT_URI);
  url.searchParams.set("scope", SCOPE);
  url.searchParams.set("state", state);
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set("code_challenge_method", "S256");
  return { url: url.href, state, verifier };
}

/**
 * The person starts on the client's site and follows its link, as in real
 * life. (Also, Chromium under Playwright routes a redirect's cross-site hop
 * only for navigations the page starts, such as a click or a form; after
 * page.goto the hop to the client's site would escape the route and fail on DNS.)
 */
async function startAt(attempt: Attempt) {
  startHref = attempt.url;
  await page.goto(`${CLIENT_SITE}/start`);
  await page.getByRole("link", { name: "Connect your Gatehouse account" }).click();
}

/** The browser's arrival on the client's redirect URI (waits for it). */
async function arrivedAtCallback(): Promise<URL> {
  await page.waitForURL((url) => url.href.startsWith(`${REDIRECT_URI}?`));
  const last = callbacks.at(-1);
  expect(last, "the callback was intercepted").toBeDefined();
  return new URL(last as string);
}

async function exchange(callback: URL, attempt: Attempt) {
  const params = oauth.validateAuthResponse(as, client, callback, attempt.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    clientAuth,
    params,
    REDIRECT_URI,
    attempt.verifier,
    insecure,
  );
  return oauth.processAuthorizationCodeResponse(as, client, response);
}

async function refresh(refreshToken: string) {
  const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, insecure);
  return oauth.processRefreshTokenResponse(as, client, response);
}

async function introspect(token: string) {
  const response = await oauth.introspectionRequest(as, client, clientAuth, token, insecure);
  return oauth.processIntrospectionResponse(as, client, response);
}

function listContacts(request: APIRequestContext, accessToken: string) {
  return request.get("/api/v1/contacts", { headers: { authorization: `Bearer ${accessToken}` } });
}

async function expectRefused(request: APIRequestContext, accessToken: string) {
  const refused = await listContacts(request, accessToken);
  expect(refused.status()).toBe(401);
  expect(refused.headers()["www-authenticate"]).toContain('error="invalid_token"');
}

/**
 * Records CSP violations of every document the page shows, reported the
 * moment they happen (the consent page is gone by the time the flow ends),
 * and what Chromium logs on the console about CSP: refusals count as
 * violations, complaints about the policy itself (a source it cannot parse
 * and ignores) as warnings.
 */
async function watchCsp(target: Page): Promise<{ violations: string[]; warnings: string[] }> {
  const violations: string[] = [];
  const warnings: string[] = [];
  await target.exposeBinding("__reportCspViolation", (_source, line: string) => {
    violations.push(line);
  });
  await target.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { __reportCspViolation: (line: string) => void }).__reportCspViolation;
      void report(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${event.documentURI}`);
    });
  });
  target.on("console", (message) => {
    const text = message.text();
    if (/Content Security Policy/i.test(text) && /invalid|ignored|unrecognized/i.test(text)) warnings.push(text);
    else if (/Content Security Policy|Refused to/i.test(text)) violations.push(`console: ${text}`);
  });
  return { violations, warnings };
}

/**
 * Another site that frames the consent page, on a loopback port of its own
 * (127.0.0.1, another site than localhost), beside a control frame of a page
 * without anti-framing headers from yet another origin (localhost on its port).
 */
async function startAttackerSite(consentUrl: string): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(
      req.url === "/control"
        ? "<!doctype html><p>an ordinary page</p>"
        : `<!doctype html><title>Win a prize</title>
           <iframe id="control" src="http://localhost:${port()}/control"></iframe>
           <iframe id="victim" src="${consentUrl.replaceAll("&", "&amp;")}"></iframe>`,
    );
  });
  const port = () => (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${port()}`,
    // The browser keeps its connections alive: end them, or close() would wait for them.
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// Each step builds on the one before (the client registered, the person signed in, consent given).
test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ browser }) => {
  ensureUser(ADMIN.email, ADMIN.password, "admin");
  ensureUser(MEMBER.email, MEMBER.password, "member");

  const { baseURL } = e2eState();
  const discovery = await oauth.discoveryRequest(new URL(baseURL), { algorithm: "oauth2", ...insecure });
  as = await oauth.processDiscoveryResponse(new URL(baseURL), discovery);

  member = await browser.newContext();
  page = await member.newPage();
  ({ violations: csp, warnings: cspWarnings } = await watchCsp(page));
  // The client's site, answered by the test: its start page links to the authorization request, and its
  // callback records what the browser brings back.
  await page.route(`${CLIENT_SITE}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === "/callback") callbacks.push(url.href);
    await route.fulfill({
      status: 200,
      contentType: "text/html; charset=utf-8",
      body:
        url.pathname === "/start"
          ? `<!doctype html><title>Client</title><a href="${startHref.replaceAll("&", "&amp;")}">Connect your Gatehouse account</a>`
          : "<!doctype html><title>Client</title><p>client callback</p>",
    });
  });
});

test.afterAll(async () => {
  await member?.close();
});

test("the server's metadata is what the client relies on", () => {
  const { baseURL } = e2eState();
  expect(as.issuer).toBe(new URL(baseURL).origin);
  expect(as.authorization_endpoint).toBe(`${as.issuer}/oauth/authorize`);
  expect(as.code_challenge_methods_supported).toEqual(["S256"]);
  expect(as.authorization_response_iss_parameter_supported).toBe(true);
});

test("1. the admin registers a confidential client in the dashboard and sees its secret once", async ({
  page: admin,
}) => {
  await signIn(admin, ADMIN.email, ADMIN.password);
  await expect(admin).toHaveURL(/\/admin$/);
  await admin.goto("/admin/oauth-clients");
  await expect(admin.getByRole("heading", { name: "OAuth clients", level: 1 })).toBeVisible();

  const form = admin.getByRole("form", { name: "Register a client" });
  await form.getByLabel("Name").fill(APP_NAME);
  await expect(form.getByLabel("Type")).toHaveValue("confidential");
  await form.getByRole("checkbox", { name: /authorization_code/ }).check();
  await form.getByRole("checkbox", { name: /refresh_token/ }).check();
  await expect(form.getByRole("checkbox", { name: /client_credentials/ })).not.toBeChecked();
  await form.getByLabel("Redirect URIs").fill(REDIRECT_URI);
  await form.getByRole("checkbox", { name: /contacts:read/ }).check();
  await form.getByRole("button", { name: "Register client" }).click();

  const clientId = await admin.getByTestId("new-client-id").inputValue();
  const secret = await admin.getByTestId("new-client-secret").inputValue();
  expect(clientId).toMatch(/^ocl_[0-9a-z]{20}$/);
  expect(secret).toMatch(/^ghs_[0-9A-Za-z]+$/);

  // The list shows the client, and of the secret only its display form.
  const row = admin.getByTestId("oauth-client-row").filter({ hasText: clientId });
  await expect(row).toContainText(APP_NAME);
  await expect(row).toContainText("confidential");
  await expect(row).toContainText(SCOPE);
  await expect(row).toContainText(`${secret.slice(0, 4)}…${secret.slice(-4)}`);
  await expect(row).not.toContainText(secret);

  client = { client_id: clientId };
  clientAuth = oauth.ClientSecretBasic(secret);
});

let first: Attempt;
let firstCallback: URL;

test("2. a member signs in, sees what the client asks for, allows it, and the client gets its code", async () => {
  first = await newAttempt();
  await startAt(first);
  // Not signed in: the sign-in page, which comes back to the authorization request.
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Foauth%2Fauthorize/);
  await page.getByLabel("Email").fill(MEMBER.email);
  await page.getByLabel("Password").fill(MEMBER.password);
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page).toHaveURL(/\/oauth\/consent\?request=/);
  await expect(page.getByRole("heading", { name: `${APP_NAME} wants to access your Gatehouse account` })).toBeVisible();
  await expect(page.getByTestId("consent-email")).toHaveText(MEMBER.email);
  await expect(page.getByTestId("consent-scopes")).toContainText("Read your contacts");
  await expect(page.getByTestId("consent-scopes").getByRole("listitem")).toHaveCount(1);
  await expect(page.getByText("https://app.example.test", { exact: true })).toBeVisible();
  expect(callbacks).toEqual([]);

  await page.getByRole("button", { name: "Allow" }).click();
  firstCallback = await arrivedAtCallback();
  expect(`${firstCallback.origin}${firstCallback.pathname}`).toBe(REDIRECT_URI);
  expect(firstCallback.searchParams.get("code")).toMatch(/^[0-9A-Za-z]{20,}$/);
  expect(firstCallback.searchParams.get("state")).toBe(first.state);
  expect(firstCallback.searchParams.get("iss")).toBe(as.issuer);
  expect(firstCallback.searchParams.has("error")).toBe(false);

  // Sign-in, consent and the form's redirect to the client's site all ran under the strict CSP.
  expect(csp).toEqual([]);
});

test("the CSP watcher is live: the same cross-site redirect from a form on an ordinary page is blocked", async () => {
  // Control for the assertion above: any page but the consent page has form-action 'self', so a
  // form whose answer redirects to the client's site is refused (and seen), and nothing reaches the client.
  // An unsupported response_type is sent back to the registered redirect URI without a session check.
  await page.goto("/settings/apps");
  const before = callbacks.length;
  await page.evaluate(
    ({ clientId, redirectUri }) => {
      const form = document.createElement("form");
      form.method = "get";
      form.action = "/oauth/authorize";
      for (const [name, value] of Object.entries({
        response_type: "token",
        client_id: clientId,
        redirect_uri: redirectUri,
        state: "control",
      })) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    },
    { clientId: client.client_id, redirectUri: REDIRECT_URI },
  );
  await expect.poll(() => csp.some((line) => line.includes("form-action"))).toBe(true);
  expect(callbacks.length).toBe(before);
  csp.length = 0;
});

test("3. the client exchanges the code; the token reads but cannot write; a replayed code revokes it all", async ({
  request,
}) => {
  const tokens = await exchange(firstCallback, first);
  expect(tokens.token_type.toLowerCase()).toBe("bearer");
  expect(tokens.scope).toBe(SCOPE);
  expect(tokens.refresh_token).toMatch(/^ghr_/);
  expect(tokens.expires_in).toBeGreaterThan(0);
  expect(tokens.expires_in).toBeLessThanOrEqual(600);
  const accessToken = tokens.access_token;

  const read = await listContacts(request, accessToken);
  expect(read.status()).toBe(200);
  expect(await read.json()).toMatchObject({ items: expect.any(Array) });
  const write = await request.post("/api/v1/contacts", {
    headers: { authorization: `Bearer ${accessToken}` },
    data: { name: "Nope", email: "nope@example.com" },
  });
  expect(write.status()).toBe(403);
  expect(write.headers()["www-authenticate"]).toContain('error="insufficient_scope", scope="contacts:write"');

  const active = await introspect(accessToken);
  expect(active).toMatchObject({ active: true, client_id: client.client_id, scope: SCOPE, username: MEMBER.email });

  // The refresh token rotates, and the new access token works too.
  const renewed = await refresh(tokens.refresh_token as string);
  expect(renewed.refresh_token).toMatch(/^ghr_/);
  expect(renewed.refresh_token).not.toBe(tokens.refresh_token);
  expect((await listContacts(request, renewed.access_token)).status()).toBe(200);

  // The same code again: refused, and everything issued from it is revoked (RFC 6749 §4.1.2).
  await expect(exchange(firstCallback, first)).rejects.toMatchObject({ error: "invalid_grant", status: 400 });
  await expectRefused(request, accessToken);
  await expectRefused(request, renewed.access_token);
  expect(await introspect(accessToken)).toEqual({ active: false });
  await expect(refresh(renewed.refresh_token as string)).rejects.toMatchObject({ error: "invalid_grant" });
});

let pendingConsent: Attempt;

test("4. consent is remembered; revoking the app in settings ends its tokens and asks again next time", async ({
  request,
}) => {
  const second = await newAttempt();
  const visited: string[] = [];
  const track = (frame: Frame) => {
    if (!frame.parentFrame()) visited.push(frame.url());
  };
  page.on("framenavigated", track);
  await startAt(second);
  const callback = await arrivedAtCallback();
  page.off("framenavigated", track);
  expect(visited.filter((url) => url.includes("/oauth/consent") || url.includes("/signin"))).toEqual([]);
  expect(callback.searchParams.get("state")).toBe(second.state);

  const tokens = await exchange(callback, second);
  expect((await listContacts(request, tokens.access_token)).status()).toBe(200);

  await page.goto("/settings/apps");
  const app = page.getByTestId("authorized-app").filter({ hasText: APP_NAME });
  await expect(app).toContainText("Read your contacts");
  await app.getByRole("button", { name: `Revoke ${APP_NAME}` }).click();
  const dialog = page.getByRole("alertdialog");
  const asked = (await dialog.textContent()) ?? "";
  await dialog.getByRole("button", { name: "Revoke access" }).click();
  await expect(page.getByText(`${APP_NAME} no longer has access to your account.`)).toBeVisible();
  await expect(app).toHaveCount(0);
  expect(asked).toContain(APP_NAME);

  await expectRefused(request, tokens.access_token);
  await expect(refresh(tokens.refresh_token as string)).rejects.toMatchObject({ error: "invalid_grant" });

  // The next authorization asks again.
  pendingConsent = await newAttempt();
  await startAt(pendingConsent);
  await expect(page).toHaveURL(/\/oauth\/consent\?request=/);
  await expect(page.getByRole("button", { name: "Allow" })).toBeVisible();
  expect(csp).toEqual([]);
});

test("5. deny: the client is told access_denied, with its state", async () => {
  const before = callbacks.length;
  await page.getByRole("button", { name: "Deny" }).click();
  const callback = await arrivedAtCallback();
  expect(callbacks.length).toBe(before + 1);
  expect(callback.searchParams.get("error")).toBe("access_denied");
  expect(callback.searchParams.get("state")).toBe(pendingConsent.state);
  expect(callback.searchParams.get("iss")).toBe(as.issuer);
  expect(callback.searchParams.has("code")).toBe(false);
  let refusal: unknown;
  try {
    oauth.validateAuthResponse(as, client, callback, pendingConsent.state);
  } catch (error) {
    refusal = error;
  }
  expect(refusal).toBeInstanceOf(oauth.AuthorizationResponseError);
  expect(refusal).toMatchObject({ error: "access_denied" });
  expect(csp).toEqual([]);
});

let framed: Attempt;

test("6. the consent page cannot be framed by another site and sends no CORS grant", async ({ request }) => {
  framed = await newAttempt();
  const attempt = framed;
  const consentResponse = page.waitForResponse(
    (r) => new URL(r.url()).pathname === "/oauth/consent" && r.request().method() === "GET",
  );
  await startAt(attempt);
  await expect(page).toHaveURL(/\/oauth\/consent\?request=/);
  const consentUrl = page.url();
  const headers = (await consentResponse).headers();
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["access-control-allow-origin"]).toBeUndefined();
  expect(headers["access-control-allow-credentials"]).toBeUndefined();

  // Another site embeds the consent page (clickjacking). It is served from loopback like the server, so
  // Chromium's local network protection does not block the frame first; a frame of a page without these
  // headers, from another loopback origin, loads beside it, so only the consent page's headers can refuse it.
  const site = await startAttackerSite(consentUrl);
  try {
    // Asked from that origin, still no CORS grant.
    const crossOrigin = await request.get("/oauth/consent?request=none", { headers: { origin: site.origin } });
    expect(crossOrigin.headers()["access-control-allow-origin"]).toBeUndefined();
    expect(crossOrigin.headers()["x-frame-options"]).toBe("DENY");

    const attacker = await member.newPage();
    const consoleLines: string[] = [];
    attacker.on("console", (message) => consoleLines.push(message.text()));
    const framedResponse = attacker.waitForResponse((r) => r.url() === consentUrl);
    await attacker.goto(`${site.origin}/`);
    await expect(attacker.frameLocator("#control").getByText("an ordinary page")).toBeVisible();
    // The server did answer the frame's request; the browser refused to show it.
    expect((await (await framedResponse).allHeaders())["content-security-policy"]).toContain("frame-ancestors 'none'");
    await expect.poll(() => consoleLines.some((line) => /frame-ancestors 'none'/.test(line))).toBe(true);
    const victim = await (await attacker.locator("#victim").elementHandle())?.contentFrame();
    expect(victim?.url()).toBe("chrome-error://chromewebdata/");
    await attacker.close();
  } finally {
    await site.close();
  }
});

test("7. the client revokes its refresh token: the grant ends, its access token too", async ({ request }) => {
  // The consent page left open by the previous test, rendered afresh (each rendering issues its form's token).
  await page.reload();
  const attempt = framed;
  await page.getByRole("button", { name: "Allow" }).click();
  const tokens = await exchange(await arrivedAtCallback(), attempt);
  expect((await listContacts(request, tokens.access_token)).status()).toBe(200);

  const response = await oauth.revocationRequest(as, client, clientAuth, tokens.refresh_token as string, insecure);
  await oauth.processRevocationResponse(response);
  await expectRefused(request, tokens.access_token);
  expect(await introspect(tokens.access_token)).toEqual({ active: false });
  expect(await introspect(tokens.refresh_token as string)).toEqual({ active: false });
  await expect(refresh(tokens.refresh_token as string)).rejects.toMatchObject({ error: "invalid_grant" });
  expect(csp).toEqual([]);
});

test("Chromium understood every CSP it was given during the flows (no source ignored)", () => {
  // A source the browser cannot parse is dropped with only a console warning; what it was meant to allow
  // is then refused. Checked last, so that such a finding does not hide the results of the flows above.
  expect(cspWarnings).toEqual([]);
});
