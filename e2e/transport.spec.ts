import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { ADMIN_NAV, userNav } from "../app/_lib/nav";
import { E2E_PORT } from "../playwright.config";
import type { Principal } from "../server/auth/principal";
import { alertOf, e2eState, ensureUser, signIn } from "./state";

/**
 * Transport and browser security, proven in Chromium against the production
 * server: the strict nonce CSP on every page with violations counted as
 * failures, and CORS from a second local origin calling the REST API with a
 * token (allowed when listed, blocked when not, blocked again right after
 * the admin removes it in the dashboard).
 */

const ADMIN = { email: "transport-admin@example.com", password: "transport admin passphrase" };
const MEMBER = { email: "transport-member@example.com", password: "transport member passphrase" };
const APP = `http://localhost:${E2E_PORT}`;
const ROOT = path.resolve(import.meta.dirname, "..");

/** Records CSP violations in the page (before any script of the page runs) and refused loads on the console. */
async function watchCsp(page: Page): Promise<string[]> {
  const violations: string[] = [];
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener("securitypolicyviolation", (event) => {
      seen.push(
        `${event.violatedDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`,
      );
    });
  });
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to (execute|load|apply|evaluate|connect)/i.test(message.text())) {
      violations.push(`console: ${message.text()}`);
    }
  });
  return violations;
}

async function cspViolations(page: Page, fromConsole: string[]): Promise<string[]> {
  const inPage = await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
  return [...inPage, ...fromConsole];
}

/** Every <script> of the HTML as served carries this response's nonce, and the CSP is the strict one. */
async function expectNonceOnEveryScript(html: string, csp: string | undefined): Promise<string> {
  expect(csp).toBeTruthy();
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
  const nonce = /'nonce-([^']+)'/.exec(csp ?? "")?.[1];
  expect(nonce, "CSP has a nonce").toBeTruthy();
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag, tag).toContain(`nonce="${nonce}"`);
  return nonce as string;
}

/** Visits a page, waits for the app to settle, and fails on any CSP violation or missing nonce. */
async function visitUnderCsp(page: Page, path: string, fromConsole: string[]) {
  const response = await page.goto(path);
  expect(response, path).not.toBeNull();
  expect(response?.status(), path).toBeLessThan(400);
  // Let the page hydrate and fetch; a page that polls never goes idle, so this wait is bounded.
  await page.waitForLoadState("networkidle", { timeout: 4_000 }).catch(() => undefined);
  if (response?.headers()["content-type"]?.includes("text/html") && !path.startsWith("/api/")) {
    await expectNonceOnEveryScript(await response.text(), response.headers()["content-security-policy"]);
  }
  expect(await cspViolations(page, fromConsole), `CSP violations on ${path}`).toEqual([]);
}

/**
 * e2e/state.ts ensureUser, but both at once: each CLI run costs seconds
 * (tsx start-up), and this spec needs two users of its own.
 */
function ensureUserInBackground(user: { email: string; password: string }, role: "admin" | "member") {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, "node_modules/tsx/dist/cli.mjs"),
        path.join(ROOT, "server/cli/index.ts"),
        ...["user", "create", "--email", user.email, "--password", user.password, "--role", role],
      ],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: e2eState().dataDir, LOG_LEVEL: "silent" } },
    );
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 || stderr.includes("already exists") ? resolve() : reject(new Error(`${user.email}: ${stderr}`)),
    );
  });
}

// Users of this spec only (never the bootstrap admin), created through the CLI.
test.beforeAll(async () => {
  await Promise.all([ensureUserInBackground(ADMIN, "admin"), ensureUserInBackground(MEMBER, "member")]);
  // The admin's second factor (ADMIN_2FA=required), so signIn can answer the code step.
  ensureUser(ADMIN.email, ADMIN.password, "admin");
});

test.describe("content security policy in the browser", () => {
  test("signed out: the sign-in page, a fresh nonce per response on every script", async ({ page }) => {
    const violations = await watchCsp(page);
    await visitUnderCsp(page, "/signin", violations);
    const first = await page.request.get("/signin");
    const second = await page.request.get("/signin");
    const n1 = await expectNonceOnEveryScript(await first.text(), first.headers()["content-security-policy"]);
    const n2 = await expectNonceOnEveryScript(await second.text(), second.headers()["content-security-policy"]);
    expect(n1).not.toBe(n2);
    const missing = await page.request.get("/no-such-page");
    expect(missing.status()).toBe(404);
    await expectNonceOnEveryScript(await missing.text(), missing.headers()["content-security-policy"]);
  });

  test("a member: sign-in and every page of the typed frontend work under the CSP", async ({ page }) => {
    const violations = await watchCsp(page);
    await signIn(page, MEMBER.email, MEMBER.password);
    await expect(page).toHaveURL(/\/contacts$/);
    await visitUnderCsp(page, "/contacts", violations);
    const form = page.getByRole("form", { name: "New contact" });
    await form.getByLabel("Name").fill("Ada Lovelace");
    await form.getByLabel("Email").fill("ada@example.com");
    await form.getByRole("button", { name: "Add contact" }).click();
    await expect(page.getByTestId("contact-row").filter({ hasText: "Ada Lovelace" }).first()).toBeVisible();
    // Every page in the signed-in navigation (features added later are covered too).
    for (const item of userNav({ role: "member" } as Principal)) await visitUnderCsp(page, item.href, violations);
    await visitUnderCsp(page, "/change-password", violations);
    expect(await cspViolations(page, violations)).toEqual([]);
  });

  test("an admin: every page of the dashboard and the API reference work under their CSP", async ({ page }) => {
    const violations = await watchCsp(page);
    await signIn(page, ADMIN.email, ADMIN.password);
    await expect(page).toHaveURL(/\/admin$/);
    // Every page in the dashboard's navigation (features added later are covered too).
    const paths = new Set(["/admin", "/admin/users", "/admin/audit", "/admin/cors", ...ADMIN_NAV.map((i) => i.href)]);
    for (const path of paths) await visitUnderCsp(page, path, violations);
    // The user detail panel renders client-side: use it too.
    // Searched for: after the other specs' people the member may be past the list's first page.
    await page.goto(`/admin/users?search=${encodeURIComponent(MEMBER.email)}`);
    await page.getByRole("button", { name: `Manage ${MEMBER.email}` }).click();
    await expect(page.getByRole("heading", { name: `Manage ${MEMBER.email}` })).toBeVisible();
    // The API reference (Swagger UI) has its own CSP and must keep working under it.
    await visitUnderCsp(page, "/api/docs", violations);
    await expect(page.getByText("contacts", { exact: false }).first()).toBeVisible();
    expect(await cspViolations(page, violations)).toEqual([]);
  });
});

/** A second origin: a tiny page server on another port, so Chromium applies real CORS. */
async function startSecondOrigin(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<!doctype html><title>partner</title><h1>Partner site</h1>");
  });
  await new Promise<void>((resolve) => server.listen(E2E_PORT + 1, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** From a page of the second origin: GET /api/v1/contacts with the token. A CORS refusal is a TypeError in fetch. */
function callApiFrom(page: Page, token: string) {
  return page.evaluate(
    async ({ api, token }) => {
      try {
        const res = await fetch(`${api}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } });
        return { readable: true, status: res.status, items: ((await res.json()) as { items?: unknown[] }).items };
      } catch (error) {
        return { readable: false, error: String(error) };
      }
    },
    { api: APP, token },
  );
}

/** An API token of the signed-in user, made through the typed frontend's own door (same origin, session cookie). */
async function createToken(page: Page): Promise<string> {
  const created = await page.evaluate(async () => {
    const res = await fetch("/api/trpc/tokens.create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "partner site", scopes: ["contacts:read"], expiresInSeconds: 3600 }),
    });
    return (await res.json()) as { result?: { data?: { token?: string } } };
  });
  const token = created.result?.data?.token;
  expect(token, JSON.stringify(created)).toMatch(/^gth_/);
  return token as string;
}

/** From a page of the second origin: a tRPC mutation riding on the signed-in person's cookie. */
function writeWithCookieFrom(page: Page, name: string) {
  return page.evaluate(
    async ({ api, name }) => {
      try {
        const res = await fetch(`${api}/api/trpc/contacts.create`, {
          method: "POST",
          credentials: "include",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name, email: "partner@example.com" }),
        });
        return { readable: true, status: res.status };
      } catch (error) {
        return { readable: false, error: String(error) };
      }
    },
    { api: APP, name },
  );
}

test.describe("CORS allow-list from a second origin", () => {
  test("a token call from another origin is blocked, allowed once listed, and blocked again right after removal", async ({
    browser,
  }) => {
    const partner = await startSecondOrigin();
    const partnerOrigin = `http://localhost:${partner.port}`;
    try {
      // The admin signs in; the partner site is opened in the same browser (so it could ride on the cookie).
      const context = await browser.newContext();
      const admin = await context.newPage();
      await signIn(admin, ADMIN.email, ADMIN.password);
      await expect(admin).toHaveURL(/\/admin$/);
      const token = await createToken(admin);
      const site = await context.newPage();
      await site.goto(`${partnerOrigin}/`);

      // Not on the list: the browser refuses to hand the answer to the page.
      const before = await callApiFrom(site, token);
      expect(before.readable, JSON.stringify(before)).toBe(false);

      // The admin adds it in the dashboard (an invalid spelling is refused first, saying why).
      await admin.getByRole("link", { name: "CORS origins" }).click();
      await expect(admin.getByRole("heading", { name: "CORS origins" })).toBeVisible();
      const add = admin.getByRole("form", { name: "Add an origin" });
      await add.getByLabel("Origin", { exact: true }).fill(`${partnerOrigin}/`);
      await add.getByRole("button", { name: "Add origin" }).click();
      await expect(alertOf(admin)).toContainText("trailing slash");
      await add.getByLabel("Origin", { exact: true }).fill(partnerOrigin);
      await add.getByLabel("Note").fill("e2e partner page");
      await add.getByRole("button", { name: "Add origin" }).click();
      const row = admin.getByTestId("cors-row").filter({ hasText: partnerOrigin });
      await expect(row).toContainText("no credentials");

      // The dry-run tester agrees with what the browser is about to see.
      await admin.getByLabel("Origin to test").fill(partnerOrigin);
      await admin.getByRole("button", { name: "Test", exact: true }).click();
      const result = admin.getByTestId("cors-test-result");
      await expect(result).toContainText("allowed");
      await expect(result).toContainText(`access-control-allow-origin: ${partnerOrigin}`);
      await admin.getByLabel("Origin to test").fill(`http://127.0.0.1:${partner.port}`);
      await admin.getByRole("button", { name: "Test", exact: true }).click();
      await expect(result).toContainText("Not on the allow-list");

      const allowed = await callApiFrom(site, token);
      expect(allowed, JSON.stringify(allowed)).toMatchObject({ readable: true, status: 200 });

      // The same page served from a near miss (another spelling of the same host) stays blocked.
      const nearMiss = await context.newPage();
      await nearMiss.goto(`http://127.0.0.1:${partner.port}/`);
      expect((await callApiFrom(nearMiss, token)).readable).toBe(false);

      // Cookies: refused until the admin allows credentials for the origin, then accepted (CSRF and CORS agree).
      expect((await writeWithCookieFrom(site, "Without Credentials")).readable).toBe(false);
      await row.getByRole("button", { name: `Allow credentials for ${partnerOrigin}` }).click();
      await admin.getByRole("alertdialog").getByRole("button", { name: "Allow credentials" }).click();
      await expect(row).toContainText("with credentials");
      expect(await writeWithCookieFrom(site, "With Credentials")).toEqual({ readable: true, status: 200 });
      const names = await admin.evaluate(async () => {
        const res = await fetch("/api/trpc/contacts.list?input=%7B%7D");
        return ((await res.json()) as { result: { data: { items: { name: string }[] } } }).result.data.items.map(
          (c) => c.name,
        );
      });
      expect(names).toContain("With Credentials");
      expect(names).not.toContain("Without Credentials");

      // Removed in the dashboard: blocked on the very next call.
      await row.getByRole("button", { name: `Remove ${partnerOrigin}` }).click();
      await admin.getByRole("alertdialog").getByRole("button", { name: "Remove origin" }).click();
      await expect(admin.getByTestId("cors-row").filter({ hasText: partnerOrigin })).toHaveCount(0);
      const after = await callApiFrom(site, token);
      expect(after.readable, JSON.stringify(after)).toBe(false);

      // Every change is in the audit log.
      await admin.goto("/admin/audit?action=cors.");
      for (const action of ["cors.add", "cors.set_credentials", "cors.remove"]) {
        await expect(admin.getByTestId("audit-row").filter({ hasText: action }).first()).toBeVisible();
      }
      await context.close();
    } finally {
      await partner.close();
    }
  });
});
