import { expect, type Page, test } from "@playwright/test";
import { alertOf, ensureUser, signIn } from "./state";

/**
 * Issue 16, as a first-day admin: the audit log and the overview name people
 * (emails, not usr_ ids), a click on a person filters the log, an email finds
 * that person's sign-ins (failed ones too, even of an address with no
 * account), every overview tile opens the matching filtered audit view, and
 * key rotation and re-encryption run from the Encryption keys page with a
 * progress bar reaching 100 %. No page trips the CSP.
 */

const ADMIN = { email: "people-admin@example.com", password: "people admin passphrase 1" };
const MEMBER = { email: "people-member@example.com", password: "people member passphrase 1" };

/** Console messages of CSP violations and uncaught page errors, collected for the whole test. */
function watchForProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to (apply|load|execute)/i.test(message.text())) problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

test("the audit log and overview show people, filter by them, and find an email's sign-ins", async ({
  page,
  browser,
  context,
}) => {
  ensureUser(ADMIN.email, ADMIN.password, "admin");
  ensureUser(MEMBER.email, MEMBER.password, "member");
  const ghost = `people-ghost-${Date.now()}@example.com`;

  // The member mistypes once and then signs in; someone tries an address that has no account.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, MEMBER.email, "not the member's passphrase");
  await expect(alertOf(otherPage)).toHaveText("Wrong email or password.");
  await signIn(otherPage, ghost, "not anybody's passphrase");
  await expect(alertOf(otherPage)).toHaveText("Wrong email or password.");
  await signIn(otherPage, MEMBER.email, MEMBER.password);
  await expect(otherPage).not.toHaveURL(/\/signin/);
  await other.close();

  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const problems = watchForProblems(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/admin$/);

  // The overview's latest activity names people, not ids.
  const recent = page.getByTestId("recent-actor");
  await expect(recent.filter({ hasText: ADMIN.email }).first()).toBeVisible();
  expect(await recent.filter({ hasText: /usr_/ }).count()).toBe(0);

  // The audit log: the member's sign-in shows the email, the id on hover and copyable.
  await page.goto("/admin/audit?action=session.login");
  const rows = page.getByTestId("audit-row");
  const memberRow = rows.filter({ hasText: MEMBER.email }).first();
  await expect(memberRow).toBeVisible();
  const memberLink = memberRow.getByTestId("party-actor").getByRole("link", { name: MEMBER.email });
  const memberId = await memberLink.getAttribute("title");
  expect(memberId).toMatch(/^usr_[0-9A-Za-z]+$/);
  // No actor cell shows a bare id as its name.
  for (const link of await rows.getByTestId("party-actor").getByRole("link").all()) {
    expect(await link.textContent()).not.toMatch(/^(usr|tok|ocl)_/);
  }
  await memberRow.getByRole("button", { name: `Copy id ${memberId}` }).click();
  await expect(memberRow.getByRole("button", { name: `Copy id ${memberId}` })).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(memberId);

  // The user's page: the Users list filtered by that email.
  await memberRow.getByTestId("party-actor").getByRole("link", { name: "Users page", exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/users\?search=/);
  await expect(page.getByRole("searchbox", { name: "Search users" })).toHaveValue(MEMBER.email);
  await expect(page.getByTestId("user-row")).toHaveCount(1);
  await expect(page.getByTestId("user-row")).toContainText(MEMBER.email);
  await page.goBack();
  await expect(memberLink).toBeVisible();

  // A click on the email: that person's entries only — the sign-in and the failed one.
  await memberLink.click();
  await expect(page).toHaveURL(new RegExp(`actorId=${encodeURIComponent(MEMBER.email).replace(".", "\\.")}`));
  const filter = page.getByRole("form", { name: "Filter the audit log" });
  await expect(filter.getByLabel("Actor")).toHaveValue(MEMBER.email);
  await expect(rows.filter({ hasText: "session.login_failed" })).toHaveCount(1);
  await expect(rows.filter({ hasText: /session\.login(?!_)/ }).first()).toBeVisible();
  for (const actor of await rows.getByTestId("party-actor").all()) await expect(actor).toContainText(MEMBER.email);

  // Typing an email (any case) in the actor filter finds the same; an address without an account finds its failed sign-in.
  await filter.getByRole("button", { name: "Clear" }).click();
  await filter.getByLabel("Actor").fill(MEMBER.email.toUpperCase());
  await filter.getByLabel("Action").selectOption("session.login_failed");
  await filter.getByRole("button", { name: "Apply" }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(MEMBER.email);
  await filter.getByLabel("Actor").fill(ghost);
  await filter.getByRole("button", { name: "Apply" }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first().getByTestId("party-actor")).toContainText("anonymous");
  await expect(rows.first().getByTestId("party-actor")).toContainText(`tried ${ghost}`);
  await filter.getByLabel("Actor").fill(`x${ghost}`);
  await filter.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("No entries match these filters.")).toBeVisible();

  // The overview: the failed sign-ins tile opens the log of failed sign-ins of that period.
  await page.goto("/admin");
  await page.getByRole("link", { name: /Failed sign-ins \(24 h\)/ }).click();
  await expect(page).toHaveURL(/\/admin\/audit\?action=session\.login_failed&since=\d{4}-\d{2}-\d{2}T/);
  await expect(filter.getByLabel("Action")).toHaveValue("session.login_failed");
  await expect(filter.getByLabel("From")).toHaveValue(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
  await expect(rows.filter({ hasText: ghost })).toHaveCount(1);
  expect(await rows.count()).toBeGreaterThanOrEqual(2);
  for (const row of await rows.all()) await expect(row).toContainText("session.login_failed");

  // Every tile and chart total links into the audit log.
  await page.goto("/admin");
  const tileLinks = page.locator('a:has([data-testid^="tile-"])');
  await expect(tileLinks).toHaveCount(6);
  for (const href of await tileLinks.evaluateAll((links) => links.map((a) => a.getAttribute("href")))) {
    expect(href).toMatch(/^\/admin\/audit\?/);
  }
  await page.getByTestId("chart-link-sign_in_failures").click();
  await expect(page).toHaveURL(/action=session\.login_failed/);
  await expect(rows.filter({ hasText: ghost })).toHaveCount(1);

  // The busiest principals: people too, linking to their log. Which people lead depends on what every
  // other spec did in this database, so the first person listed is the one followed.
  await page.goto("/admin");
  const top = page.getByTestId("top-principal").filter({ hasText: "@example.com" }).first();
  await expect(top).toBeVisible();
  const person = top.getByRole("link", { name: /@example\.com$/ }).first();
  const email = (await person.textContent())?.trim() ?? "";
  expect(email).toMatch(/^[^\s@]+@example\.com$/);
  await person.click();
  await expect(page).toHaveURL(new RegExp(`actorId=${encodeURIComponent(email).replace(".", "\\.")}`));
  await expect(rows.first()).toContainText(email);

  // "Added by" on the CORS page is a person too, linking to their log.
  const origin = `https://people-${Date.now()}.example.com`;
  await page.goto("/admin/cors");
  const add = page.getByRole("form", { name: "Add an origin" });
  await add.getByLabel("Origin", { exact: true }).fill(origin);
  await add.getByRole("button", { name: "Add origin" }).click();
  const corsRow = page.getByTestId("cors-row").filter({ hasText: origin });
  await expect(corsRow.getByTestId("party-actor")).toContainText(ADMIN.email);
  await expect(corsRow.getByRole("link", { name: ADMIN.email })).toHaveAttribute("title", /^usr_/);

  expect(problems).toEqual([]);
});

test("an admin rotates the key and re-encrypts from the Encryption keys page, the bar reaching 100 %", async ({
  page,
}) => {
  ensureUser(ADMIN.email, ADMIN.password, "admin");
  const problems = watchForProblems(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/admin$/);

  // Something sealed under the current key.
  await page.goto("/contacts");
  const form = page.getByRole("form", { name: "New contact" });
  await form.getByLabel("Name").fill("Grace Hopper");
  await form.getByLabel("Email").fill("grace@people.example");
  await form.getByLabel("Notes").fill("compilers");
  await form.getByRole("button", { name: "Add contact" }).click();
  await expect(page.getByTestId("contact-row").filter({ hasText: "Grace Hopper" })).toBeVisible();

  await page.goto("/admin/keys");
  const keyRows = page.getByTestId("encryption-key-row");
  // The row whose status badge says exactly "active" (not "retiring" or "unused, removable").
  const activeRow = () => keyRows.filter({ has: page.getByText("active", { exact: true }) });
  await expect(activeRow()).toHaveCount(1);
  const before = (await activeRow().locator("td").first().textContent()) ?? "";
  expect(before).toMatch(/^\S+$/);

  // Rotation asks first, naming what happens; Cancel changes nothing.
  await page.getByRole("button", { name: "Rotate key" }).click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toContainText("Rotate the encryption key?");
  await expect(dialog).toContainText(`${before} stays in the keyring`);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(keyRows.filter({ hasText: before })).toContainText("active");

  await page.getByRole("button", { name: "Rotate key" }).click();
  await dialog.getByRole("button", { name: "Rotate key" }).click();
  const toasts = page.getByTestId("toast");
  await expect(toasts.filter({ hasText: /Key \S+ is active/ })).toBeVisible({ timeout: 15_000 });
  await expect(keyRows.filter({ hasText: before })).toContainText("retiring");
  await expect(activeRow()).toHaveCount(1);
  const after = (await activeRow().locator("td").first().textContent()) ?? "";
  expect(after).not.toBe(before);
  await expect(page.getByTestId("rows-to-reencrypt")).toContainText("still have values under an older key");

  // Re-encryption from the page, followed to the end.
  await page.getByRole("button", { name: "Re-encrypt now" }).click();
  await expect(dialog).toContainText(`re-sealed with ${after}`);
  await dialog.getByRole("button", { name: "Re-encrypt now" }).click();
  await expect(toasts.filter({ hasText: /Re-encryption #\d+ started/ })).toBeVisible();
  await expect(page.getByTestId("reencryption-percent")).toHaveText("100 %", { timeout: 30_000 });
  await expect(page.getByTestId("reencryption-job")).toContainText("finished");
  await expect(page.getByTestId("reencryption-job")).toContainText(`to key ${after}`);
  await expect(page.getByTestId("rows-to-reencrypt")).toHaveText("Every stored value is under the active key.");
  await expect(keyRows.filter({ hasText: before })).toContainText("unused, removable");
  expect(await page.locator("progress").evaluate((p: HTMLProgressElement) => p.value === p.max)).toBe(true);

  // The contact still reads; both steps are in the audit log, by this admin.
  await page.goto("/contacts");
  await expect(page.getByTestId("contact-row").filter({ hasText: "Grace Hopper" })).toContainText("compilers");
  await page.goto("/admin/audit?action=encryption.");
  const rows = page.getByTestId("audit-row");
  await expect(rows.filter({ hasText: "encryption.rotate" }).first()).toContainText(ADMIN.email);
  await expect(rows.filter({ hasText: "encryption.reencrypt_start" }).first()).toBeVisible();
  expect(problems).toEqual([]);
});
