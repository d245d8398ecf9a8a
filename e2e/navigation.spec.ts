import { expect, type Page, test } from "@playwright/test";
import { ADMIN_NAV } from "../app/_lib/nav";
import { ensureUser, signIn } from "./state";

/**
 * Issue 16: the navigation marks where you are — exactly one link with
 * aria-current="page", the one the page belongs to (a detail URL marks its
 * list, only /admin itself marks the Overview), visible as well as announced.
 */

const ADMIN = { email: "nav-admin@example.com", password: "nav admin passphrase 1" };

/** The hrefs of the links marked as the current page. */
async function current(page: Page): Promise<string[]> {
  return page
    .locator('header a[aria-current="page"]')
    .evaluateAll((links) => links.map((a) => a.getAttribute("href") ?? ""));
}

test("every dashboard page marks its own navigation link, and only that one", async ({ page }) => {
  ensureUser(ADMIN.email, ADMIN.password, "admin");
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/admin$/);
  for (const item of ADMIN_NAV) {
    await page.goto(item.href);
    // /contacts has the members' navigation (its own label), still with its one link marked.
    await expect.poll(() => current(page), item.href).toEqual([item.href]);
  }
  // A filtered list is still that list.
  await page.goto("/admin/users?search=nav-admin%40example.com");
  await expect.poll(() => current(page)).toEqual(["/admin/users"]);
  await page.goto("/account");
  await expect.poll(() => current(page)).toEqual(["/account"]);
  // The marked link looks different from the others, not only to a screen reader.
  await page.goto("/admin/audit");
  const marked = page.locator('header a[aria-current="page"]');
  const other = page.getByRole("link", { name: "Users", exact: true });
  const style = (el: Element) => getComputedStyle(el).backgroundColor + getComputedStyle(el).color;
  expect(await marked.evaluate(style)).not.toBe(await other.evaluate(style));
});
