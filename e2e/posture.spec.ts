import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { e2eState, ensureUser, signIn } from "./state";

/**
 * Issue 17 part 2 in the browser: the Posture page shows every rule of
 * `gatehouse check`, grouped, with a verdict readable without colour and a
 * fix for what did not pass; the Overview summarises it and links to it; a
 * backup taken with the CLI turns its rule green on the next load; members
 * get no page; and nothing breaks the nonce CSP.
 */

const ADMIN = { email: "posture-admin@example.com", password: "posture admin passphrase 1" };
const MEMBER = { email: "posture-member@example.com", password: "posture member passphrase 1" };
const ROOT = path.resolve(import.meta.dirname, "..");

test.beforeAll(() => {
  ensureUser(ADMIN.email, ADMIN.password, "admin");
  ensureUser(MEMBER.email, MEMBER.password, "member");
});

function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) seen.push(message.text());
  });
  return seen;
}

const row = (page: Page, id: string) => page.locator(`[data-testid="posture-rule"][data-rule="${id}"]`);

test("the Overview summarises the posture and links to the Posture page, which shows every rule", async ({ page }) => {
  const violations = cspViolations(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/admin$/);

  const summary = page.getByRole("heading", { name: "Deployment posture" });
  await expect(summary).toBeVisible();
  await expect(page.getByTestId("posture-counts")).toContainText(/\d+ failed, \d+ warnings?, \d+ passed/);
  // The e2e server runs on http://localhost: that rule warns, and the summary names it.
  await expect(page.getByRole("link", { name: /APP_URL is https/ })).toBeVisible();

  await page.getByTestId("posture-link").click();
  await expect(page).toHaveURL(/\/admin\/posture$/);
  await expect(page.getByRole("heading", { name: "Posture", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "Posture" })).toHaveAttribute("aria-current", "page");

  for (const group of ["Transport", "Secrets and data folder", "Keys", "Access", "Operations"]) {
    await expect(page.getByRole("heading", { name: group, exact: true })).toBeVisible();
  }
  await expect(page.getByTestId("posture-rule")).toHaveCount(13);

  // Verdicts in words, not colour alone; what failed or warned is open with its fix.
  const https = row(page, "transport.https");
  await expect(https.locator("[data-status]")).toHaveText(/Warn/);
  await expect(https).toContainText("APP_URL is http://localhost");
  await expect(https.getByTestId("posture-fix")).toBeVisible();
  await expect(https.getByTestId("posture-fix")).toContainText("TLS terminator");
  // A rule that passes keeps its explanation one click away.
  const folder = row(page, "secrets.data-folder");
  await expect(folder.locator("[data-status]")).toHaveText(/Pass/);
  await expect(folder.getByTestId("posture-fix")).toBeHidden();
  await folder.getByText("Why it matters and how to fix it").click();
  await expect(folder.getByTestId("posture-fix")).toBeVisible();

  // This admin enrolled a second factor (ensureUser does, as ADMIN_2FA=required asks): the rule does not name them.
  await expect(row(page, "access.admin-second-factor")).toBeVisible();
  await expect(row(page, "access.admin-second-factor")).not.toContainText(ADMIN.email);

  expect(violations).toEqual([]);
});

test("a backup taken with the command line turns the backups rule to Pass on the next load", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/admin$/);
  await page.goto("/admin/posture");
  const backups = row(page, "operations.backups");
  await expect(backups).toBeVisible();

  const out = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-posture-backup-"));
  fs.rmSync(out, { recursive: true });
  try {
    const run = spawnSync(process.execPath, ["--import", "tsx", "server/cli/index.ts", "backup", "--out", out], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: e2eState().dataDir, LOG_LEVEL: "silent" },
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    await page.reload();
    await expect(backups.locator("[data-status]")).toHaveText(/Pass/);
    await expect(backups).toContainText(out);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test("a member gets no Posture page", async ({ page }) => {
  await signIn(page, MEMBER.email, MEMBER.password);
  await expect(page).toHaveURL(/\/contacts$/);
  const answer = await page.goto("/admin/posture");
  expect(answer?.status()).toBe(404);
  await expect(page.getByTestId("posture-rule")).toHaveCount(0);
});
