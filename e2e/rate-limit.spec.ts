import { expect, test } from "@playwright/test";
import { alertOf, ensureUser, signIn } from "./state";

/**
 * The "Rate limits" dashboard page against the real server (embedded store,
 * default limits): a member locks their account with wrong passwords (the
 * right one is refused too, with the lockout message), an admin sees the
 * lockout and clears it, then gives the member a tiny API quota that the
 * member's next calls run into (429 with Retry-After and the RateLimit
 * fields), and removes it again.
 */
test("an admin clears a sign-in lockout and sets and removes an override", async ({ page, browser }) => {
  const admin = ensureUser("ratelimit-admin@example.com", "rate limit admin passphrase", "admin");
  const member = ensureUser("ratelimit-member@example.com", "rate limit member passphrase");

  // The member (own browser): RATE_LIMIT_SIGNIN is 5/15m, so five wrong passwords lock the account.
  const memberContext = await browser.newContext();
  const memberPage = await memberContext.newPage();
  for (let i = 0; i < 5; i++) {
    await signIn(memberPage, member.email, `wrong password number ${i}`);
    await expect(alertOf(memberPage)).toHaveText("Wrong email or password.");
  }
  await signIn(memberPage, member.email, member.password);
  await expect(alertOf(memberPage)).toHaveText(/Too many failed sign-ins/);
  await expect(memberPage).toHaveURL(/\/signin/);

  // The admin sees the lockout and clears it.
  await signIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/admin$/);
  await page.getByRole("link", { name: "Rate limits" }).first().click();
  await expect(page.getByRole("heading", { name: "Rate limits" })).toBeVisible();
  await expect(page.getByTestId("policy-row").filter({ hasText: "RATE_LIMIT_API" })).toContainText("600 / 1m");
  await expect(page.getByTestId("store-status")).toContainText("embedded");
  const lockout = page.getByTestId("lockout-row").filter({ hasText: member.email });
  await expect(lockout).toBeVisible();
  await lockout.getByRole("button", { name: `Clear the lockout of ${member.email}` }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Clear lockout" }).click();
  await expect(page.getByTestId("toast").filter({ hasText: "Cleared the lockout of" })).toBeVisible();
  await expect(lockout).toHaveCount(0);

  // The member gets in with the right password now.
  await signIn(memberPage, member.email, member.password);
  await expect(memberPage).toHaveURL(/\/contacts$/);

  // An override: the member may make 3 calls a minute.
  const form = page.getByRole("form", { name: "Set an override" });
  await form.getByLabel("For").selectOption("user");
  await form.getByLabel("Email").fill(member.email);
  await form.getByLabel("Limit").fill("3");
  await form.getByLabel("Per").selectOption({ label: "1 minute" });
  await form.getByLabel("Note (optional)").fill("e2e: tiny quota");
  await form.getByRole("button", { name: "Set override" }).click();
  const row = page.getByTestId("override-row").filter({ hasText: member.email });
  await expect(row).toContainText("3 / 1m");
  await expect(row).toContainText("e2e: tiny quota");
  // The list sorts on the server: newest first, then by who it is for (A to Z) on a click.
  const overrides = page.getByRole("table", { name: "Overrides" });
  await expect(overrides.getByRole("columnheader", { name: "Set", exact: true })).toHaveAttribute(
    "aria-sort",
    "descending",
  );
  await overrides.getByRole("button", { name: "For", exact: true }).click();
  await expect(overrides.getByRole("columnheader", { name: "For", exact: true })).toHaveAttribute(
    "aria-sort",
    "ascending",
  );
  await expect(row).toContainText("3 / 1m");

  // It applies to the member's very next API calls.
  const statuses: number[] = [];
  let refused: Awaited<ReturnType<typeof memberPage.request.get>> | undefined;
  for (let i = 0; i < 6; i++) {
    const res = await memberPage.request.get("/api/trpc/contacts.list?input=%7B%7D");
    statuses.push(res.status());
    if (res.status() === 200) expect(res.headers()["ratelimit-policy"]).toBe('"api";q=3;w=60');
    if (res.status() === 429) refused ??= res;
  }
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
  expect(Number(refused?.headers()["retry-after"])).toBeGreaterThanOrEqual(1);
  expect(refused?.headers().ratelimit).toMatch(/^"api";r=0;t=\d+$/);

  // The live view shows who is being limited.
  await page.reload();
  // (The account shows too, for the refused sign-in; the API refusals are the user's.)
  const limited = page.getByTestId("limited-row").filter({ hasText: member.email });
  await expect(limited.filter({ has: page.getByText("user", { exact: true }) })).toBeVisible();
  await expect(limited.filter({ has: page.getByText("account", { exact: true }) })).toBeVisible();

  // Removing the override restores the default for the next window.
  await row.getByRole("button", { name: `Remove the override for ${member.email}` }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Remove override" }).click();
  await expect(
    page.getByTestId("toast").filter({ hasText: `Removed the override for ${member.email}.` }),
  ).toBeVisible();
  await expect(row).toHaveCount(0);
  await memberContext.close();
});
