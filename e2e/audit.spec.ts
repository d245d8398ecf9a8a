import fs from "node:fs";
import { expect, test } from "@playwright/test";
import { alertOf, ensureUser, signIn } from "./state";

/**
 * The audit and observability dashboard against the real server: failed
 * sign-ins and API traffic show up in the Overview charts (server-rendered
 * SVG, under the production CSP), the Audit page filters, exports the current
 * filter as a download, and verifies the hash chain.
 */
test("an admin sees traffic on the Overview, filters the audit log, exports it and verifies the chain", async ({
  page,
  browser,
}) => {
  const admin = ensureUser("audit-admin@example.com", "audit admin passphrase", "admin");
  const stranger = `audit-e2e-nobody-${Date.now()}@example.com`;

  // A failed sign-in (its own browser context), and some refused and accepted API calls.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, stranger, "not anybody's password");
  await expect(alertOf(otherPage)).toHaveText("Wrong email or password.");
  expect((await otherPage.request.get("/api/v1/contacts")).status()).toBe(401);
  await other.close();

  await signIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/admin$/);
  for (let i = 0; i < 3; i++) {
    expect((await page.request.get("/api/trpc/contacts.list?input=%7B%7D")).status()).toBe(200);
  }

  // Overview: the charts are drawn from the counters, with data, and nothing
  // on the page trips the CSP (style-src without 'unsafe-inline').
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to apply/i.test(message.text())) violations.push(message.text());
  });
  const overview = await page.goto("/admin");
  expect(overview?.headers()["content-security-policy"]).toMatch(/style-src 'self' 'nonce-/);
  const requests = page.getByTestId("chart-requests");
  await expect(requests).toBeVisible();
  expect(Number(await requests.getAttribute("data-total"))).toBeGreaterThanOrEqual(4);
  expect(await requests.locator("rect[data-value]").count()).toBeGreaterThan(0);
  const failures = page.getByTestId("chart-sign_in_failures");
  expect(Number(await failures.getAttribute("data-total"))).toBeGreaterThanOrEqual(1);
  await expect(failures.locator("rect[data-value]").first()).toBeVisible();
  await expect(page.getByTestId("top-principal").first()).toBeVisible();
  expect(violations).toEqual([]);
  await page.getByRole("link", { name: "Last 7 days" }).click();
  await expect(page).toHaveURL(/range=7d/);
  expect(Number(await page.getByTestId("chart-requests").getAttribute("data-total"))).toBeGreaterThanOrEqual(4);
  // A week reads as days: at most eight bars (the days at both ends cut to the range), not 168 hours.
  await expect(page.getByTestId("chart-requests")).toHaveAttribute("data-unit", "day");
  expect(await page.getByTestId("chart-requests").locator("rect[data-value]").count()).toBeLessThanOrEqual(8);

  // Audit page: filter by action (grouped by area) and full-text on the detail.
  await page.goto("/admin/audit");
  const filter = page.getByRole("form", { name: "Filter the audit log" });
  await filter.getByLabel("Action").selectOption("session.login_failed");
  await filter.getByLabel("Search details").fill(stranger);
  await filter.getByRole("button", { name: "Apply" }).click();
  const rows = page.getByTestId("audit-row");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("session.login_failed");
  await expect(page).toHaveURL(/action=session\.login_failed/);

  // The entry's detail view.
  await rows.first().getByRole("button", { name: "Details" }).click();
  const detail = page.getByTestId("audit-detail");
  await expect(detail).toContainText(stranger);
  await expect(detail).toContainText("unknown_user");
  await expect(detail).toContainText(/Hash\s*[0-9a-f]{64}/);

  // Export of the current filter: a CSV download with exactly that entry.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export CSV" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^gatehouse-audit-\d{8}T\d{6}Z\.csv$/);
  const csv = fs.readFileSync((await download.path()) as string, "utf8");
  const lines = csv.trimEnd().split("\r\n");
  expect(lines[0]).toContain('"seq","id","at"');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain('"session.login_failed"');
  expect(lines[1]).toContain(stranger);

  // The export itself is in the audit log (filters can come from the address bar too).
  await page.goto("/admin/audit?action=audit.export");
  await expect(page.getByTestId("audit-row").first()).toContainText("audit.export");
  await expect(filter.getByLabel("Action")).toHaveValue("audit.export");

  // Verify the hash chain.
  await page.getByRole("button", { name: "Verify chain" }).click();
  await expect(page.getByTestId("verify-result")).toContainText(/Chain intact: \d+ entries checked/);
});
