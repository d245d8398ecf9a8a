import { expect, type Page, test } from "@playwright/test";
import { ADMIN_NAV, MEMBER_NAV, userNav } from "../app/_lib/nav";
import { ensureUser, signIn } from "./state";

/**
 * Issue 16: one app shell with one navigation. Every signed-in page shows the same navigation
 * for the same person — a member's items, and for an admin the same plus the admin section under
 * its heading — and marks where you are: exactly one link with aria-current="page", the one the
 * page belongs to (a detail URL marks its list, only /admin itself marks the Overview), visible as
 * well as announced. At 1440 px the admin section does not wrap.
 */

const ADMIN = { email: "nav-admin@example.com", password: "nav admin passphrase 1" };
const MEMBER = { email: "nav-member@example.com", password: "nav member passphrase 1" };

const nav = (page: Page) => page.getByRole("navigation", { name: "Main" });

/** The hrefs of the links marked as the current page. */
async function current(page: Page): Promise<string[]> {
  return nav(page)
    .locator('a[aria-current="page"]')
    .evaluateAll((links) => links.map((a) => a.getAttribute("href") ?? ""));
}

/** Every link of the navigation, in order. */
async function links(page: Page): Promise<string[]> {
  return nav(page)
    .getByRole("link")
    .evaluateAll((all) => all.map((a) => a.getAttribute("href") ?? ""));
}

test.beforeAll(() => {
  ensureUser(ADMIN.email, ADMIN.password, "admin");
  ensureUser(MEMBER.email, MEMBER.password, "member");
});

test("an admin has one navigation on every page, member pages included, and each page marks its own link", async ({
  page,
}) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/admin$/);
  const expected = userNav({ role: "admin" }).map((item) => item.href);
  for (const item of userNav({ role: "admin" })) {
    await page.goto(item.href);
    await expect.poll(() => current(page), item.href).toEqual([item.href]);
    // The same links everywhere: an admin on /contacts still has the admin section.
    expect(await links(page), item.href).toEqual(expected);
    await expect(nav(page).getByRole("list", { name: "Admin" })).toBeVisible();
  }
  // A filtered list is still that list; a detail URL marks its list.
  await page.goto("/admin/users?search=nav-admin%40example.com");
  await expect.poll(() => current(page)).toEqual(["/admin/users"]);

  // The marked link looks different from the others, not only to a screen reader.
  await page.goto("/admin/audit");
  const marked = nav(page).locator('a[aria-current="page"]');
  const other = nav(page).getByRole("link", { name: "Users", exact: true });
  const style = (el: Element) => getComputedStyle(el).backgroundColor + getComputedStyle(el).color;
  expect(await marked.evaluate(style)).not.toBe(await other.evaluate(style));

  // At 1440 px no item of the navigation wraps onto a second line (each link is one line high),
  // and the header stays one row.
  for (const item of [...MEMBER_NAV, ...ADMIN_NAV]) {
    const link = nav(page).getByRole("link", { name: item.label, exact: true });
    const lines = await link.evaluate((a) => {
      const lineHeight = Number.parseFloat(getComputedStyle(a).lineHeight);
      const padding =
        Number.parseFloat(getComputedStyle(a).paddingTop) + Number.parseFloat(getComputedStyle(a).paddingBottom);
      return Math.round((a.getBoundingClientRect().height - padding) / lineHeight);
    });
    expect(lines, item.label).toBe(1);
  }
  const header = await page.locator("header").boundingBox();
  expect(header?.height ?? 0).toBeLessThan(80);
});

test("a member sees the members' items and no admin section", async ({ page }) => {
  await signIn(page, MEMBER.email, MEMBER.password);
  await expect(page).toHaveURL(/\/contacts$/);
  for (const item of MEMBER_NAV) {
    await page.goto(item.href);
    await expect.poll(() => current(page), item.href).toEqual([item.href]);
    expect(await links(page)).toEqual(MEMBER_NAV.map((i) => i.href));
    await expect(nav(page).getByRole("list", { name: "Admin" })).toHaveCount(0);
  }
  await expect(page.getByText("Admin", { exact: true })).toHaveCount(0);
});
