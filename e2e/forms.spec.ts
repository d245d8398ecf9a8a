import { expect, type Locator, type Page, test } from "@playwright/test";
import { watchCsp } from "./shell-helpers";
import { ensureUser, signIn } from "./state";

/**
 * Every form validates in the browser with the procedure's own zod schema
 * and shows what is wrong under the field, in a sentence (not
 * `newPassword: must be …`), linked to the control with aria-describedby and
 * marked aria-invalid; nothing is sent while the schema refuses. What the
 * server refuses (an email in use, a guessable password, an origin with a
 * path, an unknown account, a redirect URI that is not https) is shown
 * under the field it names, and what was typed stays in the form.
 */

const ADMIN = { email: "forms-admin@example.com", password: "forms admin passphrase" };
const MEMBER = { email: "forms-member@example.com", password: "forms member passphrase" };

test.describe.configure({ mode: "serial" });

/** The procedures the page called (tRPC batches name them comma-separated in the path). */
function watchCalls(page: Page): string[] {
  const calls: string[] = [];
  page.on("request", (request) => {
    const match = /\/api\/trpc\/([^?]+)/.exec(request.url());
    if (match && request.method() === "POST") calls.push(...decodeURIComponent(match[1] as string).split(","));
  });
  return calls;
}

/** The control is marked invalid and described by an error line with exactly this text. */
async function expectFieldError(page: Page, control: Locator, text: string) {
  await expect(control).toHaveAttribute("aria-invalid", "true");
  const describedBy = (await control.getAttribute("aria-describedby")) ?? "";
  const errorId = describedBy.split(" ").find((id) => id.endsWith("-error"));
  expect(errorId, `aria-describedby of the control: "${describedBy}"`).toBeTruthy();
  await expect(page.locator(`[id="${errorId}"]`)).toHaveText(text);
}

async function expectValid(control: Locator) {
  await expect(control).not.toHaveAttribute("aria-invalid", "true");
}

let adminPage: Page;
let memberPage: Page;
let adminCalls: string[];
let memberCalls: string[];
let adminCsp: () => Promise<string[]>;
let memberCsp: () => Promise<string[]>;

test.beforeAll(async ({ browser }) => {
  ensureUser(ADMIN.email, ADMIN.password, "admin");
  ensureUser(MEMBER.email, MEMBER.password, "member");
  adminPage = await (await browser.newContext()).newPage();
  adminCsp = await watchCsp(adminPage);
  adminCalls = watchCalls(adminPage);
  await signIn(adminPage, ADMIN.email, ADMIN.password);
  await adminPage.waitForURL((url) => !url.pathname.startsWith("/signin"));
  memberPage = await (await browser.newContext()).newPage();
  memberCsp = await watchCsp(memberPage);
  memberCalls = watchCalls(memberPage);
  await signIn(memberPage, MEMBER.email, MEMBER.password);
  await memberPage.waitForURL((url) => !url.pathname.startsWith("/signin"));
});

test.afterAll(async () => {
  await adminPage?.context().close();
  await memberPage?.context().close();
});

test("a contact: the schema's refusals under each field, nothing sent, then added and the form emptied", async () => {
  const page = memberPage;
  await page.goto("/contacts");
  const form = page.getByRole("form", { name: "New contact" });
  await form.getByLabel("Email").fill("not-an-address");
  await form.getByLabel("Phone").fill("12");
  memberCalls.length = 0;
  await form.getByRole("button", { name: "Add contact" }).click();
  await expectFieldError(page, form.getByLabel("Name"), "Name must not be empty.");
  await expectFieldError(page, form.getByLabel("Email"), "Email must be a valid email address.");
  await expectFieldError(
    page,
    form.getByLabel("Phone"),
    "Phone must be an international number like +41 44 668 18 00.",
  );
  // The first refused field has the keyboard; the phone's hint is still there beside its error.
  await expect(form.getByLabel("Name")).toBeFocused();
  await expect(form.getByLabel("Phone")).toHaveAttribute("aria-describedby", /contact-phone-hint/);
  expect(memberCalls).not.toContain("contacts.create");
  // What was typed stays.
  await expect(form.getByLabel("Email")).toHaveValue("not-an-address");

  // Corrected, the errors go as the person types (after a first refusal the form checks on change).
  await form.getByLabel("Name").fill("Ada Lovelace");
  await expectValid(form.getByLabel("Name"));
  await form.getByLabel("Email").fill("ada@example.com");
  await form.getByLabel("Phone").fill("+44 20 7946 0000");
  await form.getByRole("button", { name: "Add contact" }).click();
  await expect(page.getByTestId("contact-row").filter({ hasText: "Ada Lovelace" })).toContainText("+442079460000");
  await expect(form.getByLabel("Name")).toHaveValue("");
  expect(await memberCsp()).toEqual([]);
});

test("change password: mismatch caught in the browser; the server's refusals under the field they name, input kept", async () => {
  const page = memberPage;
  await page.goto("/account");
  const form = page.getByRole("form", { name: "Change password" });
  const current = form.getByLabel("Current password");
  const next = form.getByLabel("New password", { exact: true });
  const again = form.getByLabel("New password again");

  await current.fill(MEMBER.password);
  await next.fill("short");
  await again.fill("other");
  memberCalls.length = 0;
  await form.getByRole("button", { name: "Change password" }).click();
  await expectFieldError(page, next, "New password must be at least 12 characters.");
  await expectFieldError(page, again, "New password again must be the same as the new password.");
  expect(memberCalls).not.toContain("account.changePassword");

  // Long enough, but common: the server's dictionary refuses it, under "New password".
  await next.fill("password1234");
  await again.fill("password1234");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator('[id="newPassword-error"]')).toContainText("New password is too easy to guess");
  await expect(next).toHaveAttribute("aria-invalid", "true");
  await expect(current).toHaveValue(MEMBER.password);
  await expect(next).toHaveValue("password1234");

  // A wrong current password: under "Current password", not as `currentPassword: …`.
  await current.fill("not my password at all");
  await next.fill("a fresh unguessable passphrase");
  await again.fill("a fresh unguessable passphrase");
  await form.getByRole("button", { name: "Change password" }).click();
  await expectFieldError(page, current, "Current password is not your current password.");
  await expect(form).not.toContainText("currentPassword");
  await expect(next).toHaveValue("a fresh unguessable passphrase");
  expect(await memberCsp()).toEqual([]);
});

test("a token without a scope is refused in the browser, under Scopes", async () => {
  const page = memberPage;
  await page.goto("/settings/tokens");
  const form = page.getByRole("form", { name: "Create a token" });
  await form.getByLabel("Name").fill("nightly export");
  memberCalls.length = 0;
  await form.getByRole("button", { name: "Create token" }).click();
  await expectFieldError(page, form.getByRole("group", { name: "Scopes" }), "Give at least one scope.");
  expect(memberCalls).not.toContain("tokens.create");
  await expect(form.getByLabel("Name")).toHaveValue("nightly export");
});

test("a user whose email is taken: under Email, with the rest kept; a short password caught first", async () => {
  const page = adminPage;
  await page.goto("/admin/users");
  const form = page.getByRole("form", { name: "Create a user" });
  await form.getByLabel("Email").fill(MEMBER.email);
  await form.getByLabel("Name").fill("Second Member");
  await form.getByLabel("Initial password").fill("too short");
  adminCalls.length = 0;
  await form.getByRole("button", { name: "Create user" }).click();
  await expectFieldError(page, form.getByLabel("Initial password"), "Initial password must be at least 12 characters.");
  expect(adminCalls).not.toContain("admin.users.create");

  await form.getByLabel("Initial password").fill("a long enough initial passphrase");
  await form.getByRole("button", { name: "Create user" }).click();
  await expectFieldError(page, form.getByLabel("Email"), "A user with this email already exists.");
  await expect(form.getByLabel("Name")).toHaveValue("Second Member");
  await expect(form.getByLabel("Initial password")).toHaveValue("a long enough initial passphrase");
});

test("an origin with a path: the service's reason under Origin, input kept", async () => {
  const page = adminPage;
  await page.goto("/admin/cors");
  const form = page.getByRole("form", { name: "Add an origin" });
  await form.getByLabel("Origin", { exact: true }).fill("https://app.example.com/callback");
  await form.getByLabel("Note").fill("partner app");
  await form.getByRole("button", { name: "Add origin" }).click();
  await expectFieldError(
    page,
    form.getByLabel("Origin", { exact: true }),
    "An origin has no path, query or fragment — not even a trailing slash: e.g. https://app.example.com.",
  );
  await expect(form.getByLabel("Note")).toHaveValue("partner app");

  // The refusal's toast sits over the tester's button at the foot of the page: dismissed, as a person would.
  await page.getByTestId("toast").getByRole("button", { name: "Dismiss" }).click();
  // The tester validates with admin.cors.test's own schema: far too long is refused under its field, not asked.
  const tester = page.getByRole("form", { name: "Test an origin" });
  const junk = `https://${"a".repeat(360)}.example.com`;
  await tester.getByLabel("Origin to test").fill(junk);
  adminCalls.length = 0;
  const asked: string[] = [];
  const onRequest = (request: { url: () => string }) => {
    if (request.url().includes("admin.cors.test")) asked.push(request.url());
  };
  page.on("request", onRequest);
  await tester.getByRole("button", { name: "Test", exact: true }).click();
  await expectFieldError(page, tester.getByLabel("Origin to test"), "Origin to test must be at most 300 characters.");
  await expect(tester.getByLabel("Origin to test")).toHaveValue(junk);
  expect(asked).toEqual([]);
  // Corrected, it asks the live code.
  await tester.getByLabel("Origin to test").fill("https://nowhere.example.com");
  await tester.getByRole("button", { name: "Test", exact: true }).click();
  await expect(page.getByTestId("cors-test-result")).toContainText("Preflight (OPTIONS) answer");
  page.off("request", onRequest);
  expect(asked).toHaveLength(1);

  // The list sorts on the server: by origin (A to Z) first, by when added on a click.
  const list = page.getByRole("table", { name: "Allowed origins" });
  await expect(list.getByRole("columnheader", { name: "Origin", exact: true })).toHaveAttribute(
    "aria-sort",
    "ascending",
  );
  await list.getByRole("button", { name: "Added", exact: true }).click();
  await expect(list.getByRole("columnheader", { name: "Added", exact: true })).toHaveAttribute(
    "aria-sort",
    "descending",
  );
  expect(await adminCsp()).toEqual([]);
});

test("the audit filter: a value the schema refuses is under its field, nothing applied; so is one from the address bar", async () => {
  const page = adminPage;
  await page.goto("/admin/audit");
  const form = page.getByRole("form", { name: "Filter the audit log" });
  const tooLong = `${"x".repeat(250)}@example.com`;
  await form.getByLabel("Actor").fill(tooLong);
  await form.getByLabel("Search details").fill("partner");
  await form.getByRole("button", { name: "Apply" }).click();
  await expectFieldError(page, form.getByLabel("Actor"), "Actor must be at most 254 characters.");
  await expect(form.getByLabel("Actor")).toHaveValue(tooLong);
  await expect(form.getByLabel("Search details")).toHaveValue("partner");
  expect(new URL(page.url()).search).toBe("");

  // An action in the address bar that is not one: the server's refusal, under Action.
  await page.goto("/admin/audit?action=Not%20An%20Action");
  await expectFieldError(
    page,
    form.getByLabel("Action"),
    "Action must be an action like contact.delete or an area like contact.",
  );
  expect(await adminCsp()).toEqual([]);
});

test("a rate-limit override: an empty limit caught in the browser, an unknown account under Email", async () => {
  const page = adminPage;
  await page.goto("/admin/rate-limits");
  const form = page.getByRole("form", { name: "Set an override" });
  await form.getByLabel("For", { exact: true }).selectOption("user");
  await form.getByLabel("Email", { exact: true }).fill("nobody-here@example.com");
  await form.getByLabel("Limit", { exact: true }).fill("");
  adminCalls.length = 0;
  await form.getByRole("button", { name: "Set override" }).click();
  await expectFieldError(page, form.getByLabel("Limit", { exact: true }), "Limit must be a number.");
  expect(adminCalls).not.toContain("admin.rateLimits.setOverride");

  await form.getByLabel("Limit", { exact: true }).fill("42");
  await form.getByRole("button", { name: "Set override" }).click();
  await expectFieldError(page, form.getByLabel("Email", { exact: true }), "No user with this email.");
  await expect(form.getByLabel("Limit", { exact: true })).toHaveValue("42");

  // A token id that is not one: the schema's words, under the same field.
  await form.getByLabel("For", { exact: true }).selectOption("token");
  await form.getByLabel("Token id", { exact: true }).fill("ocl_notatoken");
  await form.getByRole("button", { name: "Set override" }).click();
  await expectFieldError(page, form.getByLabel("Token id", { exact: true }), "Token id must be a token id (tok_…).");
});

test("an OAuth client with a plain-http redirect URI: under Redirect URIs, the rest kept", async () => {
  const page = adminPage;
  await page.goto("/admin/oauth-clients");
  const form = page.getByRole("form", { name: "Register a client" });
  adminCalls.length = 0;
  await form.getByRole("button", { name: "Register client" }).click();
  await expectFieldError(page, form.getByLabel("Name", { exact: true }), "Name must not be empty.");
  await expectFieldError(page, form.getByRole("group", { name: "Scopes" }), "Allow at least one scope.");
  expect(adminCalls).not.toContain("admin.oauthClients.create");

  await form.getByLabel("Name", { exact: true }).fill("Partner portal");
  await form.getByLabel("Redirect URIs").fill("http://partner.example.com/callback");
  await form.getByRole("group", { name: "Scopes" }).getByRole("checkbox").first().check();
  await form.getByRole("button", { name: "Register client" }).click();
  await expect(page.locator('[id="oauth-client-redirects-error"]')).toContainText(
    "must be https (http only on a loopback address)",
  );
  await expect(form.getByLabel("Redirect URIs")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Name", { exact: true })).toHaveValue("Partner portal");
  expect(await adminCsp()).toEqual([]);
});
