import { expect, type Page, test } from "@playwright/test";
import { watchCsp } from "./shell-helpers";
import { e2eState, ensureUser, signIn } from "./state";

/**
 * Issue 16: dark mode follows the system, with a switch (System / Light / Dark). The choice is a
 * cookie the server reads, so the first paint is already right (the HTML as served carries
 * data-theme), it outlives sign-out, and it needs no inline script under the nonce CSP.
 */

const MEMBER = { email: "theme-member@example.com", password: "theme member passphrase 1" };

/** Whether the page background is dark: the computed colour (lab(), oklch() …) painted and read back as sRGB. */
async function pageIsDark(page: Page): Promise<boolean> {
  const luminance = await page.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 1;
    canvas.height = 1;
    const context = canvas.getContext("2d");
    if (!context) throw new Error("no 2d canvas");
    context.fillStyle = getComputedStyle(document.body).backgroundColor;
    context.fillRect(0, 0, 1, 1);
    const [r = 0, g = 0, b = 0] = context.getImageData(0, 0, 1, 1).data;
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  });
  return luminance < 128;
}

const attribute = (page: Page) => page.evaluate(() => document.documentElement.getAttribute("data-theme"));
const themeCookie = async (page: Page) =>
  (await page.context().cookies()).find((cookie) => cookie.name === "theme")?.value ?? null;

test.beforeAll(() => {
  ensureUser(MEMBER.email, MEMBER.password, "member");
});

test("the theme follows the system until one is chosen, and the choice is in the first paint", async ({ page }) => {
  const csp = await watchCsp(page);
  await page.emulateMedia({ colorScheme: "dark" });
  await signIn(page, MEMBER.email, MEMBER.password);
  await expect(page).toHaveURL(/\/contacts$/);
  const switcher = page.getByRole("group", { name: "Theme" });
  await expect(switcher.getByRole("radio", { name: "System" })).toBeChecked();
  expect(await attribute(page)).toBeNull();
  expect(await pageIsDark(page)).toBe(true);
  // System means the system's, live.
  await page.emulateMedia({ colorScheme: "light" });
  expect(await pageIsDark(page)).toBe(false);

  // Dark while the system is light: pinned, kept in the cookie, and served that way.
  await switcher.getByText("Dark", { exact: true }).click();
  await expect(switcher.getByRole("radio", { name: "Dark" })).toBeChecked();
  expect(await attribute(page)).toBe("dark");
  expect(await pageIsDark(page)).toBe(true);
  expect(await themeCookie(page)).toBe("dark");
  const served = await page.request.get("/settings/tokens");
  expect(await served.text()).toMatch(/<html lang="en" data-theme="dark"/);
  await page.goto("/settings/tokens");
  expect(await pageIsDark(page)).toBe(true);
  await expect(page.getByRole("group", { name: "Theme" }).getByRole("radio", { name: "Dark" })).toBeChecked();

  // Light while the system is dark; the keyboard works the radio group.
  await page.emulateMedia({ colorScheme: "dark" });
  await page.getByRole("group", { name: "Theme" }).getByRole("radio", { name: "Dark" }).focus();
  await page.keyboard.press("ArrowLeft");
  await expect(page.getByRole("group", { name: "Theme" }).getByRole("radio", { name: "Light" })).toBeChecked();
  expect(await pageIsDark(page)).toBe(false);
  expect(await themeCookie(page)).toBe("light");

  // The sign-in page after signing out keeps the choice.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/signin/);
  expect(await attribute(page)).toBe("light");
  expect(await pageIsDark(page)).toBe(false);

  // Back to System: the cookie goes, and the system decides again.
  await signIn(page, MEMBER.email, MEMBER.password);
  await expect(page).toHaveURL(/\/contacts$/);
  await page.getByRole("group", { name: "Theme" }).getByText("System", { exact: true }).click();
  expect(await themeCookie(page)).toBeNull();
  expect(await attribute(page)).toBeNull();
  expect(await pageIsDark(page)).toBe(true);
  expect(await csp()).toEqual([]);
});

test("the sign-in page has the switch too: chosen before signing in, kept after", async ({ page }) => {
  const csp = await watchCsp(page);
  await page.emulateMedia({ colorScheme: "light" });
  await page.goto("/signin");
  const switcher = page.getByRole("group", { name: "Theme" });
  await expect(switcher.getByRole("radio", { name: "System" })).toBeChecked();
  expect(await pageIsDark(page)).toBe(false);
  await switcher.getByText("Dark", { exact: true }).click();
  await expect(switcher.getByRole("radio", { name: "Dark" })).toBeChecked();
  expect(await attribute(page)).toBe("dark");
  expect(await pageIsDark(page)).toBe(true);
  expect(await themeCookie(page)).toBe("dark");
  // Served dark from then on, and the app's own switch shows the same choice after signing in.
  expect(await (await page.request.get("/signin")).text()).toMatch(/<html lang="en" data-theme="dark"/);
  await signIn(page, MEMBER.email, MEMBER.password);
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.getByRole("group", { name: "Theme" }).getByRole("radio", { name: "Dark" })).toBeChecked();
  expect(await pageIsDark(page)).toBe(true);
  expect(await csp()).toEqual([]);
});

test("a cookie with anything but light or dark is the system's theme, and never reaches the page", async ({ page }) => {
  const { baseURL } = e2eState();
  for (const value of ["%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", "DARK", "system", "light-dark"]) {
    await page.context().addCookies([{ name: "theme", value, url: baseURL }]);
    const response = await page.request.get("/signin");
    const html = await response.text();
    expect(html, value).toMatch(/<html lang="en">/);
    expect(html).not.toContain("alert(1)");
  }
});
