import { expect, test } from "@playwright/test";
import { alertOf, e2eState, rememberSecondFactor, signIn, totpCodeAt } from "./state";

/**
 * The first run, end to end, in the order a new installation lives it. The
 * steps depend on each other (the admin created here creates the member), so
 * they run serially in one browser context per person.
 */
test.describe
  .serial("first run: bootstrap admin, a member, contacts, disabling", () => {
    const ADMIN_PASSWORD = "a brand new admin passphrase";
    // The admin gives an initial password; the member replaces it at first sign-in.
    const MEMBER = {
      email: "member@example.com",
      initial: "member passphrase one",
      password: "mia's own passphrase 2",
    };

    test("the bootstrap admin signs in with the one-time password and must change it", async ({ page }) => {
      const { adminEmail, oneTimePassword } = e2eState();
      await signIn(page, adminEmail, oneTimePassword);
      await expect(page).toHaveURL(/\/change-password$/);
      await expect(page.getByText("one-time password")).toBeVisible();

      // Until it is changed, the API refuses everything else too.
      const blocked = await page.request.get("/api/trpc/admin.users.list?input=%7B%7D");
      expect(blocked.status()).toBe(403);

      await page.getByLabel("Current password").fill(oneTimePassword);
      await page.getByLabel("New password", { exact: true }).fill(ADMIN_PASSWORD);
      await page.getByLabel("New password again").fill(ADMIN_PASSWORD);
      await page.getByRole("button", { name: "Change password" }).click();

      // ADMIN_2FA=required (the default): an admin without a second factor is sent to enrol one, and the
      // API refuses everything else until then.
      await expect(page).toHaveURL(/\/account/);
      await expect(page.getByTestId("second-factor-required")).toBeVisible();
      const gated = await page.request.get("/api/trpc/admin.users.list?input=%7B%7D");
      expect(gated.status()).toBe(403);
      expect(await gated.text()).toContain("second_factor_required");
      await page.getByRole("button", { name: "Set up an authenticator app" }).click();
      const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
      await page.getByLabel("Code from the app").fill(totpCodeAt(secret, Date.now()));
      await page.getByRole("button", { name: "Confirm", exact: true }).click();
      await expect(page.getByTestId("recovery-code")).toHaveCount(10);
      rememberSecondFactor(adminEmail, secret, await page.getByTestId("recovery-code").allInnerTexts());
      await page.getByRole("link", { name: "Continue to the dashboard" }).click();
      await expect(page).toHaveURL(/\/admin$/);
      await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
      // The server that answered is in the list of instances, serving (it beats at start).
      const self = page.getByTestId("instance-row").filter({ hasText: "(this one)" });
      await expect(self).toHaveCount(1);
      await expect(self).toContainText("serving");
    });

    test("a wrong password gets the same answer as an unknown account", async ({ page }) => {
      const { adminEmail } = e2eState();
      await signIn(page, adminEmail, "not the password at all");
      await expect(alertOf(page)).toHaveText("Wrong email or password.");
      await signIn(page, "nobody@example.com", "not the password at all");
      await expect(alertOf(page)).toHaveText("Wrong email or password.");
    });

    test("the admin creates a member", async ({ page }) => {
      const { adminEmail } = e2eState();
      await signIn(page, adminEmail, ADMIN_PASSWORD);
      await expect(page).toHaveURL(/\/admin$/);
      await page.getByRole("link", { name: "Users" }).first().click();
      const form = page.getByRole("form", { name: "Create a user" });
      await form.getByLabel("Email").fill(MEMBER.email);
      await form.getByLabel("Name").fill("Mia Member");
      await form.getByLabel("Initial password").fill(MEMBER.initial);
      await form.getByRole("button", { name: "Create user" }).click();
      await expect(page.getByText(`Created ${MEMBER.email}.`)).toBeVisible();
      await expect(
        page.getByTestId("user-row").filter({ has: page.getByRole("cell", { name: MEMBER.email, exact: true }) }),
      ).toContainText("member");
    });

    test("the member replaces the initial password, manages contacts on /contacts and is told no on /admin", async ({
      page,
    }) => {
      await signIn(page, MEMBER.email, MEMBER.initial);
      await expect(page).toHaveURL(/\/change-password/);
      const blocked = await page.request.get("/api/trpc/contacts.list?input=%7B%7D");
      expect(blocked.status()).toBe(403);
      await page.getByLabel("Current password").fill(MEMBER.initial);
      // A common password is refused, with the reason.
      await page.getByLabel("New password", { exact: true }).fill("password1234");
      await page.getByLabel("New password again").fill("password1234");
      await page.getByRole("button", { name: "Change password" }).click();
      await expect(alertOf(page)).toContainText("too easy to guess");
      await page.getByLabel("New password", { exact: true }).fill(MEMBER.password);
      await page.getByLabel("New password again").fill(MEMBER.password);
      await page.getByRole("button", { name: "Change password" }).click();
      await expect(page).toHaveURL(/\/contacts$/);

      const form = page.getByRole("form", { name: "New contact" });
      await form.getByLabel("Name").fill("Grace Hopper");
      await form.getByLabel("Email").fill("grace@example.com");
      await form.getByLabel("Phone").fill("+1 (212) 555-0100");
      await form.getByRole("button", { name: "Add contact" }).click();
      const row = page.getByTestId("contact-row").filter({ hasText: "Grace Hopper" });
      await expect(row).toContainText("+12125550100");

      // Invalid input is refused with the field named, and nothing is added.
      await form.getByLabel("Name").fill("Bad Phone");
      await form.getByLabel("Email").fill("bad@example.com");
      await form.getByLabel("Phone").fill("12");
      await form.getByRole("button", { name: "Add contact" }).click();
      await expect(alertOf(page)).toContainText("Phone must be an international number");
      await expect(page.getByTestId("contact-row")).toHaveCount(1);

      await row.getByRole("button", { name: "Edit Grace Hopper" }).click();
      const edit = page.getByRole("form", { name: "Edit contact" });
      await edit.getByLabel("Notes").fill("Wrote the first compiler");
      await edit.getByRole("button", { name: "Save changes" }).click();
      await expect(row).toContainText("Wrote the first compiler");

      await row.getByRole("button", { name: "Delete Grace Hopper" }).click();
      await page
        .getByRole("alertdialog", { name: "Delete Grace Hopper?" })
        .getByRole("button", { name: "Delete contact" })
        .click();
      await expect(page.getByTestId("contact-row")).toHaveCount(0);

      for (const path of ["/admin", "/admin/users", "/admin/audit"]) {
        const response = await page.goto(path);
        expect(response?.status(), path).toBe(404);
        await expect(page.getByText(MEMBER.email)).toHaveCount(0);
      }
      const adminApi = await page.request.get("/api/trpc/admin.users.list?input=%7B%7D");
      expect(adminApi.status()).toBe(403);
      expect(await adminApi.text()).not.toContain("admin@");
    });

    test("disabling the member ends their open session on the next request", async ({ browser }) => {
      const memberContext = await browser.newContext();
      const member = await memberContext.newPage();
      await signIn(member, MEMBER.email, MEMBER.password);
      await expect(member).toHaveURL(/\/contacts$/);

      const adminContext = await browser.newContext();
      const admin = await adminContext.newPage();
      await signIn(admin, e2eState().adminEmail, ADMIN_PASSWORD);
      await expect(admin).toHaveURL(/\/admin$/);
      // Other specs may have disabled their own users on this server: count from here.
      await admin.goto("/admin/audit?action=user.");
      await expect(admin.getByTestId("audit-row").first()).toBeVisible();
      const disabledBefore = await admin.getByTestId("audit-row").filter({ hasText: "user.disable" }).count();
      await admin.goto("/admin/users");
      await admin.getByRole("button", { name: `Manage ${MEMBER.email}`, exact: true }).click();
      await admin.getByRole("button", { name: "Disable user" }).click();
      await admin
        .getByRole("alertdialog", { name: `Disable ${MEMBER.email}?` })
        .getByRole("button", { name: "Disable user" })
        .click();
      await expect(admin.getByTestId("toast").filter({ hasText: `Disabled ${MEMBER.email}.` })).toBeVisible();

      // The member's cookie is still in the browser, but the session behind it is gone.
      const api = await member.request.get("/api/trpc/contacts.list?input=%7B%7D");
      expect(api.status()).toBe(401);
      await member.reload();
      await expect(member).toHaveURL(/\/signin/);

      // And the member cannot sign in again while disabled.
      await signIn(member, MEMBER.email, MEMBER.password);
      await expect(alertOf(member)).toHaveText("Wrong email or password.");

      // The audit log recorded all of it.
      await admin.goto("/admin/audit?action=user.");
      await expect(admin.getByTestId("audit-row").filter({ hasText: "user.disable" })).toHaveCount(disabledBefore + 1);
      await expect(admin.getByTestId("audit-row").filter({ hasText: "user.create" }).first()).toBeVisible();
      await memberContext.close();
      await adminContext.close();
    });
  });
