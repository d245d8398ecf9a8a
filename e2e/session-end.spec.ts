import path from "node:path";
import { type Browser, expect, type Page, test } from "@playwright/test";
import Database from "better-sqlite3";
import { answerSecondFactor, e2eState, ensureUser, signIn } from "./state";

/**
 * What a person sees when their session ends under them, in a real browser:
 * it expires on an admin page, an admin ends it from another browser, or they
 * end it themselves from their account page in another browser. Every time
 * the next step lands on sign-in with a line that says why, and signing in
 * brings them back where they were. No page on the way trips the CSP.
 */

const ADMIN = { email: "ended-admin@example.com", password: "ended admin passphrase 7" };
const MEMBER = { email: "ended-member@example.com", password: "ended member passphrase 7" };
const OWNER = { email: "ended-owner@example.com", password: "ended owner passphrase 7" };

/** Console lines of CSP refusals, from the first page on. */
function cspWatch(page: Page): string[] {
  const seen: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to (apply|load|execute)/i.test(message.text())) seen.push(message.text());
  });
  return seen;
}

/** The server's own database file: where the test moves a session's clock, as the passing of time would. */
function withDatabase<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(path.join(e2eState().dataDir, "gatehouse.db"));
  try {
    db.pragma("busy_timeout = 5000");
    return fn(db);
  } finally {
    db.close();
  }
}

/** Every session of the user last used (and so idle since) two days ago: past any idle limit. */
function idleOut(email: string): number {
  return withDatabase(
    (db) =>
      db
        .prepare("UPDATE sessions SET last_seen_at = ? WHERE user_id = (SELECT id FROM users WHERE email = ?)")
        .run(Date.now() - 2 * 86_400_000, email).changes,
  );
}

async function signedInPage(browser: Browser, user: { email: string; password: string }, landing: RegExp) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const csp = cspWatch(page);
  await signIn(page, user.email, user.password);
  await expect(page).toHaveURL(landing);
  return { context, page, csp };
}

test.beforeAll(() => {
  ensureUser(ADMIN.email, ADMIN.password, "admin");
  ensureUser(MEMBER.email, MEMBER.password, "member");
  ensureUser(OWNER.email, OWNER.password, "member");
});

test("an expired session on /admin/users: sign-in says it expired, and signing in comes back to the page", async ({
  browser,
}) => {
  const { context, page, csp } = await signedInPage(browser, ADMIN, /\/admin$/);
  await page.goto("/admin/users");
  await expect(page.getByRole("heading", { name: /All users/ })).toBeVisible();

  // 1. The open page: its next call answers 401 and the browser goes to sign in, not "No users match".
  expect(idleOut(ADMIN.email)).toBeGreaterThan(0);
  await page
    .getByLabel("Search users")
    .fill("nobody-at-all", { timeout: 3_000 })
    .catch(() => {
      // The page may have made a call of its own first (a refetch) and be on its way to sign-in already.
    });
  await page.waitForURL((url) => url.pathname === "/signin");
  expect(new URL(page.url()).searchParams.get("callbackUrl")).toBe("/admin/users");
  await expect(page.getByTestId("sign-in-reason")).toHaveText("Your session expired. Sign in again to continue.");
  await expect(page.getByText("No users match")).toHaveCount(0);
  await expect(page.getByText("Authentication required")).toHaveCount(0);

  // 2. Opening the admin URL itself with the expired cookie: sign-in with the return-to, not a 404.
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await answerSecondFactor(page, ADMIN.email);
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expect(page.getByRole("heading", { name: /All users/ })).toBeVisible();
  // (From a blank tab: an open dashboard page would itself go to sign-in on its next call.)
  await page.goto("about:blank");
  expect(idleOut(ADMIN.email)).toBeGreaterThan(0);
  const response = await page.goto("/admin/users?q=x");
  expect(response?.status()).toBe(200);
  const landed = new URL(page.url());
  expect(landed.pathname).toBe("/signin");
  expect(landed.searchParams.get("callbackUrl")).toBe("/admin/users?q=x");
  await expect(page.getByTestId("sign-in-reason")).toHaveText("Your session expired. Sign in again to continue.");
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await answerSecondFactor(page, ADMIN.email);
  await expect(page).toHaveURL(/\/admin\/users\?q=x$/);
  await expect(page.getByRole("heading", { name: /All users/ })).toBeVisible();

  expect(csp).toEqual([]);
  await context.close();
});

test("a session an admin ends in another browser: the member's next click lands on sign-in with the explanation", async ({
  browser,
}) => {
  const member = await signedInPage(browser, MEMBER, /\/contacts$/);
  const admin = await signedInPage(browser, ADMIN, /\/admin$/);

  await admin.page.goto("/admin/users");
  await admin.page.getByLabel("Search users").fill(MEMBER.email);
  await admin.page.getByRole("button", { name: `Manage ${MEMBER.email}` }).click();
  await admin.page.getByRole("button", { name: "End all sessions" }).click();
  const dialog = admin.page.getByRole("alertdialog");
  await expect(dialog).toContainText(`End all sessions of ${MEMBER.email}?`);
  await dialog.getByRole("button", { name: "End all sessions" }).click();
  await expect(dialog).toHaveCount(0);
  // The toast (its text is also in the live region that announces it).
  await expect(admin.page.getByText(new RegExp(`Ended \\d+ session\\(s\\) of ${MEMBER.email}`)).first()).toBeVisible();

  // The member clicks to another page of theirs.
  await member.page.getByRole("link", { name: "API tokens" }).click();
  await member.page.waitForURL((url) => url.pathname === "/signin");
  expect(new URL(member.page.url()).searchParams.get("callbackUrl")).toBe("/settings/tokens");
  await expect(member.page.getByTestId("sign-in-reason")).toHaveText(
    "Your session was ended by an administrator. Sign in again to continue.",
  );
  // A stranger with the same URL (no cookie) is told nothing of the sort.
  const stranger = await browser.newContext();
  const strangerPage = await stranger.newPage();
  await strangerPage.goto(member.page.url());
  await expect(strangerPage.getByRole("heading", { name: "Sign in to Gatehouse" })).toBeVisible();
  await expect(strangerPage.getByText("administrator")).toHaveCount(0);
  await stranger.close();

  expect([...member.csp, ...admin.csp]).toEqual([]);
  await Promise.all([member.context.close(), admin.context.close()]);
});

test("the account page: profile, own sessions with device and IP, and ending the other browser signs it out", async ({
  browser,
}) => {
  const first = await signedInPage(browser, OWNER, /\/contacts$/);
  const second = await signedInPage(browser, OWNER, /\/contacts$/);

  // Reached from the app shell's navigation.
  await first.page.getByRole("link", { name: "Account" }).click();
  await expect(first.page).toHaveURL(/\/account$/);
  await expect(first.page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(first.page.getByTestId("account-email")).toHaveText(OWNER.email);
  const rows = first.page.getByTestId("own-session");
  await expect(rows).toHaveCount(2);
  const current = first.page.locator('[data-testid="own-session"][data-current="true"]');
  await expect(current).toHaveCount(1);
  await expect(current).toContainText("This browser");
  // Playwright's Chromium says HeadlessChrome on Linux; the address is the loopback the server saw.
  await expect(rows.first()).toContainText(/Chrome on Linux/);
  await expect(rows.first()).toContainText(/127\.0\.0\.1|::1/);

  const other = first.page.locator('[data-testid="own-session"][data-current="false"]');
  await other.getByRole("button", { name: /^End session on / }).click();
  await expect(first.page.getByText("Session ended: that browser is signed out.")).toBeVisible();
  await expect(rows).toHaveCount(1);

  // The second browser is signed out: its next page is sign-in, saying it was ended from another session.
  await second.page.getByRole("link", { name: "Authorised apps" }).click();
  await second.page.waitForURL((url) => url.pathname === "/signin");
  expect(new URL(second.page.url()).searchParams.get("callbackUrl")).toBe("/settings/apps");
  await expect(second.page.getByTestId("sign-in-reason")).toHaveText(
    "Your session was ended from another of your sessions. Sign in again to continue.",
  );
  // The first is still signed in.
  await first.page.reload();
  await expect(first.page.getByRole("heading", { name: "Your account" })).toBeVisible();

  // Sign in again in the second browser; then "sign out all other sessions" from the first.
  await second.page.getByLabel("Email").fill(OWNER.email);
  await second.page.getByLabel("Password").fill(OWNER.password);
  await second.page.getByRole("button", { name: "Sign in" }).click();
  await expect(second.page).toHaveURL(/\/settings\/apps$/);
  await first.page.reload();
  await expect(rows).toHaveCount(2);
  await first.page.getByRole("button", { name: "Sign out all other sessions" }).click();
  await expect(first.page.getByText("Ended 1 other session: those browsers are signed out.")).toBeVisible();
  await expect(rows).toHaveCount(1);
  await second.page.goto("/account");
  await expect(second.page).toHaveURL(/\/signin\?callbackUrl=%2Faccount/);

  // Ending the current session is signing out.
  await first.page.getByRole("button", { name: "Sign out this browser" }).click();
  await first.page.waitForURL((url) => url.pathname === "/signin");
  await expect(first.page.getByTestId("sign-in-reason")).toHaveText("You have signed out.");
  await first.page.goto("/account");
  await expect(first.page).toHaveURL(/\/signin\?callbackUrl=%2Faccount/);

  expect([...first.csp, ...second.csp]).toEqual([]);
  await Promise.all([first.context.close(), second.context.close()]);
});

test("the sign-in page's ?reason= is a hint from a fixed table: never echoed, nothing for anything else", async ({
  page,
}) => {
  const lines: Array<[string, string | null]> = [
    ["expired", "Your session expired. Sign in again to continue."],
    ["ended", "Your session was ended by an administrator. Sign in again to continue."],
    ["signed_out", "You have signed out."],
    ["password_changed", "Your password was changed, which ended this session. Sign in with the new password."],
    ["Expired", null],
    ["<img src=x onerror=alert(1)>", null],
    ["__proto__", null],
    ["toString", null],
    ["", null],
  ];
  for (const [reason, text] of lines) {
    await page.goto(`/signin?callbackUrl=%2Fadmin&reason=${encodeURIComponent(reason)}`);
    await expect(page.getByRole("heading", { name: "Sign in to Gatehouse" })).toBeVisible();
    const shown = page.getByTestId("sign-in-reason");
    if (text) await expect(shown, reason).toHaveText(text);
    else await expect(shown, reason).toHaveCount(0);
    if (reason.startsWith("<")) expect(await page.content()).not.toContain("<img src=x");
  }
  // Admins and members alike reach their account page from the header.
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/admin$/);
  await page.getByRole("link", { name: "Account" }).click();
  await expect(page.getByTestId("account-email")).toHaveText(ADMIN.email);
  await expect(page.getByText("admin", { exact: true })).toBeVisible();
});
