import { type APIRequestContext, type Browser, expect, type Locator, type Page, test } from "@playwright/test";
import { watchCsp } from "./shell-helpers";
import { ensureUser, signIn } from "./state";

/**
 * A first-day admin on the pages that change who may do what: every destructive or
 * privilege-raising action asks in a dialog that names its target, Cancel and Escape change
 * nothing (the list and the audit log say so), Confirm does it and a toast says what happened;
 * an admin makes an API token for a user and the token works on /api/v1. No CSP violation on
 * any of these pages (Radix's scroll lock injects a <style>: it must carry the nonce).
 */

const ADMIN = { email: "confirm-admin@example.com", password: "confirm admin passphrase" };
const MEMBER = { email: "confirm-member@example.com", password: "confirm member passphrase" };

/**
 * The newest audit entry (of one action, when given), read as the signed-in admin (tRPC GET with
 * the session cookie). By action, because other entries (sign-ins, refusals) may land meanwhile.
 */
async function newestAudit(
  page: Page,
  action?: string,
): Promise<{ seq: number; action: string; targetId: string | null } | undefined> {
  const input = encodeURIComponent(JSON.stringify({ limit: 1, action }));
  const res = await page.request.get(`/api/trpc/admin.audit.list?input=${input}`);
  expect(res.status()).toBe(200);
  const body = (await res.json()) as {
    result: { data: { items: Array<{ seq: number; action: string; targetId: string | null }> } };
  };
  return body.result.data.items[0];
}

function dialogOf(page: Page): Locator {
  return page.getByRole("alertdialog");
}

function toastOf(page: Page, text: string | RegExp): Locator {
  return page.getByTestId("toast").filter({ hasText: text });
}

/** Opens the dialog with `open`, checks what it says and that Cancel has the focus; leaves it open. */
async function expectDialog(page: Page, open: () => Promise<unknown>, names: Array<string | RegExp>) {
  await open();
  const dialog = dialogOf(page);
  await expect(dialog).toBeVisible();
  for (const name of names) await expect(dialog).toContainText(name);
  // The destructive button is not the default: Enter on a dialog opened by accident cancels.
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  return dialog;
}

/** Escape, then Cancel: both close the dialog, and the audit log has no new entry of `action`. */
async function cancelBothWays(
  page: Page,
  open: () => Promise<unknown>,
  names: Array<string | RegExp>,
  action: string,
  audit = adminPage,
) {
  const before = await newestAudit(audit, action);
  let dialog = await expectDialog(page, open, names);
  // Focus stays inside while tabbing (trapped).
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press("Tab");
    expect(await dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true);
  }
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  dialog = await expectDialog(page, open, names);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  expect(await newestAudit(audit, action)).toEqual(before);
}

/** Confirm does it: the dialog closes and the audit log has a new entry of `action`. */
async function confirm(
  page: Page,
  open: () => Promise<unknown>,
  names: Array<string | RegExp>,
  label: string,
  action: string,
  audit = adminPage,
) {
  const before = (await newestAudit(audit, action))?.seq ?? 0;
  const dialog = await expectDialog(page, open, names);
  await dialog.getByRole("button", { name: label }).click();
  await expect(dialog).toBeHidden();
  await expect.poll(async () => (await newestAudit(audit, action))?.seq ?? 0).toBeGreaterThan(before);
}

async function contactsWith(request: APIRequestContext, token: string) {
  return (await request.get("/api/v1/contacts", { headers: { authorization: `Bearer ${token}` } })).status();
}

async function signedInPage(browser: Browser, who: { email: string; password: string }) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, who.email, who.password);
  await page.waitForURL((url) => !url.pathname.startsWith("/signin"));
  return { page, close: () => context.close() };
}

test.describe.configure({ mode: "serial" });

let page: Page;
/** The admin's page, whose session reads the audit log whoever acts. */
let adminPage: Page;
let cspOf: () => Promise<string[]>;

test.beforeAll(async ({ browser }) => {
  ensureUser(ADMIN.email, ADMIN.password, "admin");
  ensureUser(MEMBER.email, MEMBER.password, "member");
  const context = await browser.newContext();
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  page = await context.newPage();
  adminPage = page;
  cspOf = await watchCsp(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/admin$/);
});

test.afterAll(async () => {
  await page.context().close();
});

function memberRow() {
  return page.getByTestId("user-row").filter({ hasText: MEMBER.email });
}
// The row's cells: email, name, role, status, … (the email itself contains "member").
// The first cell is the row's selection checkbox.
const roleCell = () => memberRow().locator("td").nth(3);
const statusCell = () => memberRow().locator("td").nth(4);

async function manageMember() {
  await page.goto("/admin/users");
  await page.getByRole("searchbox", { name: "Search users" }).fill(MEMBER.email);
  await memberRow()
    .getByRole("button", { name: `Manage ${MEMBER.email}` })
    .click();
  return page.getByRole("heading", { name: `Manage ${MEMBER.email}` }).locator("xpath=ancestor::section[1]");
}

test("an admin creates a token for a member, copies its id, and revoking it asks first", async ({ request }) => {
  const detail = await manageMember();
  const form = detail.getByRole("form", { name: `Create a token for ${MEMBER.email}` });
  // Within the member's role: the admin scope cannot go on their token.
  await expect(form.getByRole("checkbox", { name: /^admin/ })).toBeDisabled();
  await expect(form.getByRole("checkbox", { name: /metrics:read/ })).toBeDisabled();
  await form.getByLabel("Name").fill("ci-deploy");
  await form.getByRole("checkbox", { name: /contacts:read/ }).check();
  await form.getByRole("button", { name: "Create token" }).click();
  const secret = await page.getByTestId("new-token").inputValue();
  expect(secret).toMatch(/^gth_[0-9A-Za-z]+$/);
  await expect(toastOf(page, `for ${MEMBER.email}`)).toContainText(/Created token “ci-deploy” \(tok_\w+\)/);
  const created = await newestAudit(page, "token.create");
  expect(created?.action).toBe("token.create");
  expect(await contactsWith(request, secret)).toBe(200);

  // The id is shown in full and copied by its button: what a rate-limit override asks for.
  const row = detail.getByTestId("user-token-row").filter({ hasText: "ci-deploy" });
  const id = (await row.getByTestId("copy-text-value").textContent()) ?? "";
  expect(id).toMatch(/^tok_\w+$/);
  expect(id).toBe(created?.targetId);
  await row.getByRole("button", { name: "Copy the id of ci-deploy" }).click();
  await expect(row.getByRole("button", { name: "Copy the id of ci-deploy" })).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(id);

  const openRevoke = () => row.getByRole("button", { name: `Revoke ci-deploy of ${MEMBER.email}` }).click();
  const names = ["“ci-deploy”", id, MEMBER.email, "fail at once"];
  // The scroll lock's injected <style> carries this response's nonce (else the CSP refuses it).
  await expectDialog(page, openRevoke, names);
  expect(
    await page.evaluate(() =>
      [...document.querySelectorAll("style")].some((s) => s.nonce && s.textContent?.includes("overflow")),
    ),
  ).toBe(true);
  await page.keyboard.press("Escape");
  await cancelBothWays(page, openRevoke, names, "token.revoke");
  await expect(row).toBeVisible();
  expect(await contactsWith(request, secret)).toBe(200);

  await confirm(page, openRevoke, names, "Revoke token", "token.revoke");
  await expect(toastOf(page, `Revoked token “ci-deploy” (${id})`)).toBeVisible();
  await expect(row).toHaveCount(0);
  expect(await contactsWith(request, secret)).toBe(401);
  expect(await newestAudit(page, "token.revoke")).toMatchObject({ targetId: id });

  // The admin Tokens page shows the same id, copyable.
  await page.goto("/admin/tokens");
  await page.getByRole("combobox", { name: "Status" }).selectOption("");
  await page.getByRole("searchbox", { name: "Search tokens" }).fill(MEMBER.email);
  await expect(page.getByTestId("admin-token-row").filter({ hasText: id })).toContainText("revoked");
  expect(await cspOf()).toEqual([]);
});

test("promotion to admin says what an admin can do; cancelling keeps the role", async () => {
  const detail = await manageMember();
  const role = detail.getByLabel("Role");
  const names = [`Make ${MEMBER.email} an admin?`, "An admin can do everything"];
  await cancelBothWays(page, () => role.selectOption("admin"), names, "user.role_change");
  await expect(role).toHaveValue("member");
  await expect(roleCell()).toHaveText("member");

  await confirm(page, () => role.selectOption("admin"), names, "Make admin", "user.role_change");
  await expect(toastOf(page, `${MEMBER.email} is now an admin.`)).toBeVisible();
  await expect(roleCell()).toHaveText("admin");

  await confirm(
    page,
    () => role.selectOption("member"),
    [`Make ${MEMBER.email} a member?`, "loses"],
    "Make member",
    "user.role_change",
  );
  await expect(toastOf(page, `${MEMBER.email} is now a member.`)).toBeVisible();
  await expect(roleCell()).toHaveText("member");
  expect(await cspOf()).toEqual([]);
});

test("ending a member's sessions, disabling and revoking everything ask first, and say what happened", async ({
  browser,
}) => {
  const member = await signedInPage(browser, MEMBER);
  try {
    const detail = await manageMember();
    await expect(detail.getByTestId("session-row")).toHaveCount(1);
    const endAll = () => detail.getByRole("button", { name: "End all sessions" }).click();
    const names = [`End all sessions of ${MEMBER.email}?`, "1 session"];
    await cancelBothWays(page, endAll, names, "session.end_all");
    await expect(detail.getByTestId("session-row")).toHaveCount(1);
    await confirm(page, endAll, names, "End all sessions", "session.end_all");
    await expect(toastOf(page, `Ended 1 session(s) of ${MEMBER.email}.`)).toBeVisible();
    await expect(detail.getByTestId("session-row")).toHaveCount(0);
    // The member's browser is signed out on its next request.
    await member.page.goto("/settings/tokens");
    await expect(member.page).toHaveURL(/\/signin/);
  } finally {
    await member.close();
  }

  const detail = await manageMember();
  const disable = () => detail.getByRole("button", { name: "Disable user" }).click();
  const disableNames = [`Disable ${MEMBER.email}?`, "signed out at once"];
  await cancelBothWays(page, disable, disableNames, "user.disable");
  await expect(statusCell()).toHaveText("active");
  await confirm(page, disable, disableNames, "Disable user", "user.disable");
  await expect(toastOf(page, `Disabled ${MEMBER.email}.`)).toBeVisible();
  await expect(statusCell()).toHaveText("disabled");
  // Enabling gives access back without a dialog (nothing is lost by it), and says so.
  await detail.getByRole("button", { name: "Enable user" }).click();
  await expect(toastOf(page, `Enabled ${MEMBER.email}.`)).toBeVisible();
  await expect(statusCell()).toHaveText("active");

  const revokeAll = () => detail.getByRole("button", { name: "Revoke everything" }).click();
  const allNames = [`Revoke everything of ${MEMBER.email}?`, "every API token"];
  await cancelBothWays(page, revokeAll, allNames, "user.revoke_all");
  await confirm(page, revokeAll, allNames, "Revoke everything", "user.revoke_all");
  await expect(toastOf(page, `Revoked everything of ${MEMBER.email}.`)).toContainText("token(s)");
  expect(await cspOf()).toEqual([]);
});

test("a member's own tokens: rotate and revoke ask first and report; the ids are copyable", async ({
  browser,
  request,
}) => {
  const member = await signedInPage(browser, MEMBER);
  const own = member.page;
  const csp = await watchCsp(own);
  try {
    await own.goto("/settings/tokens");
    const form = own.getByRole("form", { name: "Create a token" });
    await form.getByLabel("Name").fill("nightly export");
    await form.getByRole("checkbox", { name: /contacts:read/ }).check();
    await form.getByRole("button", { name: "Create token" }).click();
    const first = await own.getByTestId("new-token").inputValue();
    await expect(toastOf(own, "Created token “nightly export”")).toBeVisible();
    const row = own.getByTestId("token-row").filter({ hasText: "nightly export" }).filter({ hasText: "active" });
    const id = (await row.getByTestId("copy-text-value").textContent()) ?? "";
    expect(id).toMatch(/^tok_\w+$/);

    await own.getByLabel("When rotating, keep the old token working for").selectOption("0");
    const rotate = () => row.getByRole("button", { name: "Rotate nightly export" }).click();
    const rotateNames = [`“nightly export” (${id})`, "stops working at once"];
    await cancelBothWays(own, rotate, rotateNames, "token.rotate");
    expect(await contactsWith(request, first)).toBe(200);
    await confirm(own, rotate, rotateNames, "Rotate token", "token.rotate");
    await expect(toastOf(own, `Rotated “nightly export” (${id})`)).toBeVisible();
    const second = await own.getByTestId("new-token").inputValue();
    expect(second).not.toBe(first);
    expect(await contactsWith(request, first)).toBe(401);
    expect(await contactsWith(request, second)).toBe(200);

    const fresh = own.getByTestId("token-row").filter({ hasText: "nightly export" }).filter({ hasText: "active" });
    const revoke = () => fresh.getByRole("button", { name: "Revoke nightly export" }).click();
    await confirm(own, revoke, ["“nightly export”", "fail at once"], "Revoke token", "token.revoke");
    await expect(toastOf(own, "Revoked token “nightly export”")).toBeVisible();
    expect(await contactsWith(request, second)).toBe(401);
    expect(await csp()).toEqual([]);
  } finally {
    await member.close();
  }
});

test("CORS origins and rate-limit overrides: removing asks first, names the target, and reports", async () => {
  const origin = "https://confirm-partner.example.com";
  await page.goto("/admin/cors");
  await page.getByLabel("Origin", { exact: true }).fill(origin);
  await page.getByRole("button", { name: "Add origin" }).click();
  await expect(toastOf(page, `Added ${origin}.`)).toBeVisible();
  const row = page.getByTestId("cors-row").filter({ hasText: origin });
  const allow = () => row.getByRole("button", { name: `Allow credentials for ${origin}` }).click();
  await cancelBothWays(page, allow, [`Allow credentials for ${origin}?`, "cookies"], "cors.set_credentials");
  await expect(row).toContainText("no credentials");
  const remove = () => row.getByRole("button", { name: `Remove ${origin}` }).click();
  const names = [`Remove ${origin}?`, "lose API access at once"];
  await cancelBothWays(page, remove, names, "cors.remove");
  await expect(row).toBeVisible();
  await confirm(page, remove, names, "Remove origin", "cors.remove");
  await expect(toastOf(page, `Removed ${origin}.`)).toBeVisible();
  await expect(row).toHaveCount(0);
  expect(await cspOf()).toEqual([]);

  await page.goto("/admin/rate-limits");
  const form = page.getByRole("form", { name: "Set an override" });
  await form.getByLabel("For", { exact: true }).selectOption("user");
  await form.getByLabel("Email", { exact: true }).fill(MEMBER.email);
  await form.getByLabel("Limit", { exact: true }).fill("42");
  await form.getByRole("button", { name: "Set override" }).click();
  await expect(toastOf(page, `${MEMBER.email} may now make 42 / 1m.`)).toBeVisible();
  const override = page.getByTestId("override-row").filter({ hasText: MEMBER.email });
  const removeOverride = () =>
    override.getByRole("button", { name: `Remove the override for ${MEMBER.email}` }).click();
  const overrideNames = [`Remove the override for ${MEMBER.email}?`, "42 / 1m"];
  await cancelBothWays(page, removeOverride, overrideNames, "ratelimit.override_remove");
  await expect(override).toBeVisible();
  await confirm(page, removeOverride, overrideNames, "Remove override", "ratelimit.override_remove");
  await expect(toastOf(page, `Removed the override for ${MEMBER.email}.`)).toBeVisible();
  await expect(override).toHaveCount(0);
  expect(await cspOf()).toEqual([]);
});

test("a refused token says why under the field, in words, never a stack", async () => {
  // A token without a scope: refused by tokens.create's own schema in the browser (e2e/forms.spec.ts has the rest).
  await page.goto("/admin/users");
  await page.getByRole("searchbox", { name: "Search users" }).fill(ADMIN.email);
  const rows = page.getByTestId("user-row");
  await expect(rows).toHaveCount(1);
  await rows.getByRole("button", { name: `Manage ${ADMIN.email}` }).click();
  const detail = page.getByRole("heading", { name: `Manage ${ADMIN.email}` }).locator("xpath=ancestor::section[1]");
  const form = detail.getByRole("form", { name: `Create a token for ${ADMIN.email}` });
  await form.getByLabel("Name").fill("x".repeat(5));
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(form.getByRole("group", { name: "Scopes" })).toHaveAttribute("aria-invalid", "true");
  await expect(form).toContainText("Give at least one scope.");
  await expect(form).not.toContainText(/at .*\.(ts|js):\d+|TRPCClientError|stack/i);
  // The form kept what was typed.
  await expect(form.getByLabel("Name")).toHaveValue("xxxxx");
  expect(await cspOf()).toEqual([]);
});
