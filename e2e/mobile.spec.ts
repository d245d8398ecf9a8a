import { expect, type Page, test } from "@playwright/test";
import { ADMIN_PAGES, horizontalOverflow, MEMBER_PAGES, openSettled, watchCsp } from "./shell-helpers";
import { ensureUser, signIn } from "./state";

/**
 * Issue 16: the key pages on a 390 px phone. No page scrolls sideways (a wide table scrolls in its
 * own container, forms stack), the navigation is behind a Menu button, and the menu opens, shows
 * where you are, navigates, and closes — all under the page CSP.
 */

const ADMIN = { email: "mobile-admin@example.com", password: "mobile admin passphrase 1" };
const MEMBER = { email: "mobile-member@example.com", password: "mobile member passphrase 1" };

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

test.beforeAll(() => {
  ensureUser(ADMIN.email, ADMIN.password, "admin");
  ensureUser(MEMBER.email, MEMBER.password, "member");
});

async function expectNoSidewaysScroll(page: Page, path: string) {
  const overflow = await horizontalOverflow(page);
  expect(
    overflow.scrollWidth,
    `${path} scrolls sideways; sticking out: ${overflow.culprits.join(", ")}`,
  ).toBeLessThanOrEqual(overflow.clientWidth);
}

test("the sign-in page fits a phone", async ({ page }) => {
  await openSettled(page, "/signin");
  await expectNoSidewaysScroll(page, "/signin");
});

test("a member's pages fit a phone, a contact with long values included", async ({ page }) => {
  const csp = await watchCsp(page);
  await signIn(page, MEMBER.email, MEMBER.password);
  await expect(page).toHaveURL(/\/contacts$/);
  // Long unbroken values are what widen a page: a row must wrap or scroll inside its table.
  const form = page.getByRole("form", { name: "New contact" });
  await form.getByLabel("Name").fill("Augusta Ada King, Countess of Lovelace");
  await form.getByLabel("Email").fill("augusta.ada.king.countess.of.lovelace@analytical-engine.example.com");
  await form.getByRole("button", { name: "Add contact" }).click();
  await expect(page.getByTestId("contact-row").filter({ hasText: "Countess of Lovelace" }).first()).toBeVisible();
  for (const path of MEMBER_PAGES) {
    await openSettled(page, path);
    await expectNoSidewaysScroll(page, path);
  }
  expect(await csp()).toEqual([]);
});

test("every admin page fits a phone", async ({ page }) => {
  const csp = await watchCsp(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/admin$/);
  for (const path of ADMIN_PAGES) {
    await openSettled(page, path);
    await expectNoSidewaysScroll(page, path);
  }
  expect(await csp()).toEqual([]);
});

test("on a phone the navigation is behind a Menu button that opens, marks the page, navigates and closes", async ({
  page,
}) => {
  const csp = await watchCsp(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/admin$/);
  // No link row beside the logo: the sidebar is not shown at this width.
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  const menuButton = page.getByRole("button", { name: "Menu" });
  await menuButton.click();
  const menu = page.getByRole("dialog", { name: "Menu" });
  await expect(menu).toBeVisible();
  const nav = menu.getByRole("navigation", { name: "Main" });
  await expect(nav.locator('a[aria-current="page"]')).toHaveAttribute("href", "/admin");
  await expect(nav.getByRole("list", { name: "Admin" })).toBeVisible();
  // The menu fits the screen and the page behind it does not scroll sideways.
  const box = await menu.boundingBox();
  expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(390);
  await expectNoSidewaysScroll(page, "/admin with the menu open");

  // Escape closes it and gives the focus back to the button.
  await page.keyboard.press("Escape");
  await expect(menu).toBeHidden();
  await expect(menuButton).toBeFocused();

  // Following a link navigates and closes the menu; the new page is the one marked.
  await menuButton.click();
  await menu.getByRole("link", { name: "Audit log" }).click();
  await expect(page).toHaveURL(/\/admin\/audit$/);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(menu).toBeHidden();
  await menuButton.click();
  await expect(menu.locator('a[aria-current="page"]')).toHaveAttribute("href", "/admin/audit");
  await menu.getByRole("link", { name: "Contacts" }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(menu).toBeHidden();
  expect(await csp()).toEqual([]);
});
