import { expect, type Page, test } from "@playwright/test";
import { alertOf, dropCookies, ensureUser, forgetSecondFactorChecks, signIn, totpCodeAt } from "./state";

/**
 * Passkeys in Chromium, through the DevTools virtual authenticator (CTAP2, internal transport,
 * resident keys, user verification): a member adds a passkey on the account page, signs out, signs
 * in with password + passkey, steps up with it in a confirmation dialog; once removed, the passkey
 * no longer finishes a sign-in.
 */

async function virtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials,
  };
}

async function passwordStep(page: Page, email: string, password: string) {
  await dropCookies(page);
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByLabel("Authentication code")).toBeVisible();
}

test("a member adds a passkey, signs in with password + passkey; a removed passkey no longer works", async ({
  page,
}) => {
  const member = ensureUser("passkey-member@example.com", "passkey member passphrase");
  await signIn(page, member.email, member.password);
  await expect(page).not.toHaveURL(/\/signin/);
  const authenticator = await virtualAuthenticator(page);

  await page.goto("/account");
  await page.getByLabel("Passkey name").fill("Virtual key");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  // The first factor comes with ten recovery codes, as with an authenticator app.
  await expect(page.getByTestId("recovery-code")).toHaveCount(10);
  await page.getByRole("button", { name: "I have saved them" }).click();
  const row = page.getByTestId("second-factor-row").filter({ hasText: "Virtual key" });
  await expect(row).toContainText("passkey");
  expect(await authenticator.credentials()).toHaveLength(1);

  // Signed out: the password alone no longer makes a session; the passkey finishes the sign-in.
  await passwordStep(page, member.email, member.password);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/signin"));
  await page.goto("/account");
  await expect(row).toBeVisible();
  expect((await authenticator.credentials())[0]?.signCount).toBeGreaterThan(0);

  // An authenticator app beside it (the passkey sign-in counts as a recent check for step-up), so a
  // second step is still asked for once the passkey is gone.
  await page.getByRole("button", { name: "Add an authenticator app" }).click();
  const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
  const enrolledAt = Date.now();
  await page.getByLabel("Code from the app").fill(totpCodeAt(secret, enrolledAt));
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await expect(page.getByTestId("second-factor-row")).toHaveCount(2);

  // Ten minutes on (as far as the server knows): removing asks for a fresh check, and the dialog takes
  // the passkey for it (account.stepUpWithPasskey), then removes.
  forgetSecondFactorChecks(member.email);
  await row.getByRole("button", { name: "Remove Virtual key" }).click();
  const dialog = page.getByRole("alertdialog", { name: "Remove Virtual key?" });
  await dialog.getByRole("button", { name: "Remove", exact: true }).click();
  await expect(dialog.getByLabel("Authentication code")).toBeVisible();
  await dialog.getByRole("button", { name: "Use a passkey" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("second-factor-row")).toHaveCount(1);

  // The authenticator still holds the credential, but the server no longer takes it.
  expect(await authenticator.credentials()).toHaveLength(1);
  await passwordStep(page, member.email, member.password);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(alertOf(page)).toContainText("no passkey");
  await expect(page).toHaveURL(/\/signin/);
  // The app's code still works (a later step than the one the enrolment used).
  await page.getByLabel("Authentication code").fill(totpCodeAt(secret, enrolledAt + 30_000));
  await page.getByRole("button", { name: "Verify" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/signin"), { timeout: 40_000 });
});
