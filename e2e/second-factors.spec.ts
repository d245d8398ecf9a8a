import { expect, type Page, test } from "@playwright/test";
import {
  alertOf,
  dropCookies,
  ensureUser,
  forgetSecondFactorChecks,
  gatehouse,
  knownSecondFactor,
  rememberSecondFactor,
  secondFactorCode,
  signIn,
  signInAsAdmin,
  totpCodeAt,
} from "./state";

/**
 * Second factors in Chromium, against the production server: a member enrols an authenticator
 * app on the account page and signs in with it (and with a recovery code, once); a wrong or
 * replayed code is refused; a dangerous action on a stale session asks for a code in its
 * confirmation dialog and then goes through; an admin whose factors the CLI reset is sent to
 * enrol before any admin page.
 */

async function codeStep(page: Page, email: string, password: string) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByLabel("Authentication code")).toBeVisible();
}

test("a member enrols an authenticator app, then signs in with a code; wrong, replayed and used codes are refused", async ({
  page,
}) => {
  const member = ensureUser("tfa-member@example.com", "tfa member passphrase");
  await signIn(page, member.email, member.password);
  await expect(page).toHaveURL(/\/contacts/);
  await page.goto("/account");
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  const enrolment = page.getByTestId("totp-enrolment");
  // The QR code is inline SVG drawn by the server (no script, no style attribute: the CSP holds).
  await expect(enrolment.locator("svg path").first()).toBeAttached();
  const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await page.getByLabel("Code from the app").fill("000000");
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await expect(alertOf(page)).toContainText("not right");
  const usedAt = Date.now();
  await page.getByLabel("Code from the app").fill(totpCodeAt(secret, usedAt));
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await expect(page.getByTestId("recovery-code")).toHaveCount(10);
  const codes = await page.getByTestId("recovery-code").allTextContents();
  rememberSecondFactor(member.email, secret, codes.slice(1), usedAt);
  await page.getByRole("button", { name: "I have saved them" }).click();
  await expect(page.getByTestId("second-factor-row")).toHaveCount(1);
  await expect(page.getByTestId("recovery-codes-left")).toHaveText("10 of 10 recovery codes left.");

  // The password alone no longer makes a session.
  await dropCookies(page);
  await codeStep(page, member.email, member.password);
  expect((await page.context().cookies()).map((c) => c.name)).not.toContain("gatehouse.session");
  const pending = (await page.context().cookies()).find((c) => c.name === "gatehouse.pending-sign-in");
  expect(pending?.httpOnly).toBe(true);
  expect(pending?.sameSite).toBe("Strict");
  await page.getByLabel("Authentication code").fill("123456");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(alertOf(page)).toHaveText("That code is not right, or it was used already.");
  const code = secondFactorCode(member.email);
  await page.getByLabel("Authentication code").fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).not.toHaveURL(/\/signin/);

  // The same code again, on a new sign-in: refused (each code works once).
  await dropCookies(page);
  await codeStep(page, member.email, member.password);
  await page.getByLabel("Authentication code").fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(alertOf(page)).toHaveText("That code is not right, or it was used already.");
  // A recovery code works, once.
  await page.getByLabel("Authentication code").fill((codes[0] as string).toUpperCase());
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).not.toHaveURL(/\/signin/);
  await page.goto("/account");
  await expect(page.getByTestId("recovery-codes-left")).toHaveText("9 of 10 recovery codes left.");
  await dropCookies(page);
  await codeStep(page, member.email, member.password);
  await page.getByLabel("Authentication code").fill(codes[0] as string);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(alertOf(page)).toHaveText("That code is not right, or it was used already.");
});

test("a dangerous action on a stale session asks for a code in its dialog, then goes through", async ({ page }) => {
  const member = ensureUser("tfa-promoted@example.com", "tfa promoted passphrase");
  await signInAsAdmin(page);
  await expect(page).toHaveURL(/\/admin/);
  forgetSecondFactorChecks("e2e-admin@example.com");
  await page.goto("/admin/users");
  await page.getByRole("searchbox", { name: "Search users" }).fill(member.email);
  const row = page.getByTestId("user-row").filter({ hasText: member.email });
  await row.getByRole("button", { name: `Manage ${member.email}` }).click();
  const detail = page.getByRole("heading", { name: `Manage ${member.email}` }).locator("xpath=ancestor::section[1]");
  await detail.getByLabel("Role").selectOption("admin");
  const dialog = page.getByRole("alertdialog", { name: `Make ${member.email} an admin?` });
  await dialog.getByRole("button", { name: "Make admin" }).click();
  // The action answered step_up_required: the dialog stays and asks.
  await expect(dialog.getByLabel("Authentication code")).toBeVisible();
  await dialog.getByLabel("Authentication code").fill("000000");
  await dialog.getByTestId("step-up-submit").click();
  await expect(dialog.getByRole("alert")).toContainText("not right");
  await dialog.getByLabel("Authentication code").fill(secondFactorCode("e2e-admin@example.com"));
  await dialog.getByTestId("step-up-submit").click();
  await expect(dialog).toBeHidden();
  // The role shows in the row (the email itself does not contain "admin").
  await expect(row).toContainText("admin");
});

test("an admin whose factors the CLI reset signs in with the password and must enrol before any admin page", async ({
  page,
}) => {
  const admin = ensureUser("tfa-reset-admin@example.com", "tfa reset admin passphrase", "admin");
  expect(knownSecondFactor(admin.email)).toBeTruthy();
  const reset = gatehouse(["user", "2fa", "reset", "--email", admin.email]) as { factorsRemoved: number };
  expect(reset.factorsRemoved).toBe(1);
  await page.goto("/signin");
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/signin"));
  for (const path of ["/admin", "/admin/users"]) {
    await page.goto(path);
    await expect(page).toHaveURL(/\/account/);
    await expect(page.getByTestId("second-factor-required")).toBeVisible();
  }
  const api = await page.request.get("/api/trpc/admin.users.list?input=%7B%7D");
  expect(api.status()).toBe(403);
  expect(await api.text()).toContain("second_factor_required");
});
