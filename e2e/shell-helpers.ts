import type { Page } from "@playwright/test";

/** Helpers of the app-shell specs (mobile, accessibility, theme). */

/** The pages issue 16 names as key pages, by who sees them ("/" sends each person to their start page). */
export const MEMBER_PAGES = ["/", "/contacts", "/settings/tokens", "/settings/apps", "/account"];
export const ADMIN_PAGES = [
  "/",
  "/admin",
  "/admin/users",
  "/admin/tokens",
  "/admin/audit",
  "/admin/oauth-clients",
  "/admin/cors",
  "/admin/rate-limits",
  "/admin/keys",
  "/contacts",
  "/account",
];

/** CSP refusals, in the page (recorded before any of its scripts run) and on the console. */
export async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  const fromConsole: string[] = [];
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener("securitypolicyviolation", (event) => {
      seen.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${event.documentURI}`);
    });
  });
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) fromConsole.push(message.text());
  });
  return async () => [
    ...(await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? [])),
    ...fromConsole,
  ];
}

/** Opens a page and waits until its client-side lists have loaded (bounded: some pages poll). */
export async function openSettled(page: Page, path: string) {
  const response = await page.goto(path);
  await page.locator("h1").first().waitFor();
  await page.waitForLoadState("networkidle", { timeout: 5_000 }).catch(() => undefined);
  return response;
}

/**
 * How far the page scrolls sideways, and the elements sticking out past the viewport that are not
 * inside a container of their own that scrolls (what to fix), for the failure message.
 */
export async function horizontalOverflow(
  page: Page,
): Promise<{ scrollWidth: number; clientWidth: number; culprits: string[] }> {
  return page.evaluate(() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const culprits: string[] = [];
    const scrolls = (el: Element) => {
      const overflowX = getComputedStyle(el).overflowX;
      return overflowX === "auto" || overflowX === "scroll" || overflowX === "hidden" || overflowX === "clip";
    };
    for (const el of Array.from(document.body.querySelectorAll("*"))) {
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.right <= width + 0.5) continue;
      let parent = el.parentElement;
      let contained = false;
      while (parent && parent !== document.body) {
        if (scrolls(parent)) {
          contained = true;
          break;
        }
        parent = parent.parentElement;
      }
      if (contained) continue;
      const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.getAttribute("data-testid") ? `[data-testid=${el.getAttribute("data-testid")}]` : ""}.${String(
        el.getAttribute("class") ?? "",
      )
        .split(/\s+/)
        .slice(0, 4)
        .join(".")}`;
      culprits.push(`${name} right=${Math.round(rect.right)}`);
    }
    return { scrollWidth: root.scrollWidth, clientWidth: width, culprits: culprits.slice(0, 8) };
  });
}
