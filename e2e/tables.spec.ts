import { expect, type Page, test } from "@playwright/test";
import { ensureUser, signIn } from "./state";

/**
 * The Users list on TanStack Table with the server doing the work: a click on
 * a column header sorts by it on the server (aria-sort says how), the role and
 * status filters go to the server, and ticked rows can be disabled together
 * after a confirmation that names them, each result a toast.
 */

const ADMIN = { email: "tables-admin@example.com", password: "tables admin passphrase" };
const PREFIX = "tables-member";
const MEMBERS = ["a", "b", "c"].map((k) => ({
  email: `${PREFIX}-${k}@example.com`,
  password: `tables member ${k} pass`,
}));

test.describe.configure({ mode: "serial" });

let page: Page;

test.beforeAll(async ({ browser }) => {
  ensureUser(ADMIN.email, ADMIN.password, "admin");
  // Made one after the other: creation order a, b, c.
  for (const m of MEMBERS) ensureUser(m.email, m.password, "member");
  page = await (await browser.newContext()).newPage();
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.waitForURL((url) => !url.pathname.startsWith("/signin"));
});

test.afterAll(async () => {
  await page?.context().close();
});

const rows = () => page.getByTestId("user-row");
const emailsInView = async () =>
  (await rows().allTextContents()).map((t) => /[\w.+-]+@example\.com/.exec(t)?.[0] ?? "").filter(Boolean);

test("sorting by a column header asks the server and says so with aria-sort", async () => {
  await page.goto("/admin/users");
  await page.getByRole("searchbox", { name: "Search users" }).fill(PREFIX);
  await expect(rows()).toHaveCount(3);
  const email = page.getByRole("columnheader", { name: /Email/ });
  await expect(email).toHaveAttribute("aria-sort", "ascending");
  expect(await emailsInView()).toEqual(MEMBERS.map((m) => m.email));

  const listCalls: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("admin.users.list")) listCalls.push(decodeURIComponent(r.url()));
  });
  const created = page.getByRole("columnheader", { name: /Created/ });
  await created.getByRole("button").click();
  // Dates start newest first.
  await expect(created).toHaveAttribute("aria-sort", "descending");
  await expect(email).toHaveAttribute("aria-sort", "none");
  await expect.poll(emailsInView).toEqual(MEMBERS.map((m) => m.email).reverse());
  expect(listCalls.some((u) => u.includes('"sort":"createdAt"') && u.includes('"direction":"desc"'))).toBe(true);

  await created.getByRole("button").click();
  await expect(created).toHaveAttribute("aria-sort", "ascending");
  await expect.poll(emailsInView).toEqual(MEMBERS.map((m) => m.email));
  // One page: no pager.
  await expect(page.getByRole("button", { name: "Next" })).toHaveCount(0);
});

test("filters by role and status go to the server", async () => {
  await page.goto("/admin/users");
  await page.getByLabel("Filter by role").selectOption("admin");
  await expect.poll(async () => (await rows().allTextContents()).every((t) => t.includes("admin"))).toBe(true);
  await expect(rows().filter({ hasText: ADMIN.email })).toHaveCount(1);
  await expect(rows().filter({ hasText: PREFIX })).toHaveCount(0);
  await page.getByLabel("Filter by role").selectOption("");
  await page.getByLabel("Filter by status").selectOption("disabled");
  await expect(rows().filter({ hasText: ADMIN.email })).toHaveCount(0);
});

test("ticked users are disabled together after a confirmation naming them; a toast for each", async () => {
  await page.goto("/admin/users");
  await page.getByRole("searchbox", { name: "Search users" }).fill(PREFIX);
  await expect(rows()).toHaveCount(3);
  await page.getByLabel(`Select ${MEMBERS[0]?.email}`).check();
  await page.getByLabel(`Select ${MEMBERS[1]?.email}`).check();
  const bar = page.getByTestId("bulk-bar");
  await expect(bar).toContainText("2 selected");

  // Cancel changes nothing.
  await bar.getByRole("button", { name: "Disable selected" }).click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toContainText("Disable 2 users?");
  await expect(dialog).toContainText(MEMBERS[0]?.email as string);
  await expect(dialog).toContainText(MEMBERS[1]?.email as string);
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(rows().filter({ hasText: "disabled" })).toHaveCount(0);

  await bar.getByRole("button", { name: "Disable selected" }).click();
  await dialog.getByRole("button", { name: "Disable 2 users" }).click();
  await expect(page.getByTestId("toast").filter({ hasText: `Disabled ${MEMBERS[0]?.email}.` })).toBeVisible();
  await expect(page.getByTestId("toast").filter({ hasText: `Disabled ${MEMBERS[1]?.email}.` })).toBeVisible();
  await expect(rows().filter({ hasText: "disabled" })).toHaveCount(2);
  await expect(rows().filter({ hasText: MEMBERS[2]?.email as string })).toContainText("active");
  await expect(bar).toHaveCount(0);

  // The status filter finds them.
  await page.getByLabel("Filter by status").selectOption("disabled");
  await expect.poll(emailsInView).toEqual([MEMBERS[0]?.email, MEMBERS[1]?.email]);
});

test("ticked tokens are revoked together after a confirmation naming them; only active ones can be ticked", async () => {
  const origin = new URL(page.url()).origin;
  const member = MEMBERS[2] as { email: string };
  const input = encodeURIComponent(JSON.stringify({ search: member.email }));
  const found = await page.request.get(`/api/trpc/admin.users.list?input=${input}`);
  const userId = ((await found.json()) as { result: { data: { items: Array<{ id: string }> } } }).result.data.items[0]
    ?.id;
  for (const name of ["bulk-one", "bulk-two", "bulk-kept"]) {
    const made = await page.request.post("/api/trpc/admin.users.createToken", {
      headers: { origin, "content-type": "application/json" },
      data: { id: userId, name, scopes: ["contacts:read"] },
    });
    expect(made.status(), await made.text()).toBe(200);
  }
  await page.goto("/admin/tokens");
  await page.getByRole("searchbox", { name: "Search tokens" }).fill(member.email);
  const tokenRows = page.getByTestId("admin-token-row");
  await expect(tokenRows).toHaveCount(3);
  await page.getByLabel(`Select bulk-one of ${member.email}`).check();
  await page.getByLabel(`Select bulk-two of ${member.email}`).check();
  const bar = page.getByTestId("bulk-bar");
  await bar.getByRole("button", { name: "Revoke selected" }).click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toContainText("Revoke 2 tokens?");
  await expect(dialog).toContainText("bulk-one");
  await expect(dialog).not.toContainText("bulk-kept");
  await dialog.getByRole("button", { name: "Revoke 2 tokens" }).click();
  await expect(page.getByTestId("toast").filter({ hasText: /Revoked token “bulk-one”/ })).toBeVisible();
  await expect(page.getByTestId("toast").filter({ hasText: /Revoked token “bulk-two”/ })).toBeVisible();
  // The list shows active tokens by default: the kept one is left, and a revoked one cannot be ticked.
  await expect(tokenRows).toHaveCount(1);
  await expect(tokenRows).toContainText("bulk-kept");
  await page.getByLabel("Status").selectOption("revoked");
  await expect(tokenRows).toHaveCount(2);
  await expect(page.getByLabel(`Select bulk-one of ${member.email}`)).toHaveCount(0);

  // Sorted by name on the server, then the other way round.
  const nameHeader = page.getByRole("columnheader", { name: /Name/ });
  await nameHeader.getByRole("button").click();
  await expect(nameHeader).toHaveAttribute("aria-sort", "ascending");
  await expect
    .poll(async () => (await tokenRows.allTextContents()).map((t) => /bulk-(one|two|kept)/.exec(t)?.[0]))
    .toEqual(["bulk-one", "bulk-two"]);
  await nameHeader.getByRole("button").click();
  await expect(nameHeader).toHaveAttribute("aria-sort", "descending");
  await expect
    .poll(async () => (await tokenRows.allTextContents()).map((t) => /bulk-(one|two|kept)/.exec(t)?.[0]))
    .toEqual(["bulk-two", "bulk-one"]);
});

test("a member's own tokens: filtered by status and sorted on the server", async ({ browser }) => {
  const member = MEMBERS[2] as { email: string; password: string };
  const own = await (await browser.newContext()).newPage();
  await signIn(own, member.email, member.password);
  await own.waitForURL((url) => !url.pathname.startsWith("/signin"));
  await own.goto("/settings/tokens");
  const tokenRows = own.getByTestId("token-row");
  await expect(tokenRows).toHaveCount(3);
  await own.getByLabel("Show tokens").selectOption("revoked");
  await expect(tokenRows).toHaveCount(2);
  await own.getByLabel("Sort tokens").selectOption("name");
  await expect
    .poll(async () => (await tokenRows.allTextContents()).map((t) => /bulk-(one|two|kept)/.exec(t)?.[0]))
    .toEqual(["bulk-one", "bulk-two"]);
  await own.getByLabel("Show tokens").selectOption("active");
  await expect(tokenRows).toHaveCount(1);
  await expect(tokenRows).toContainText("bulk-kept");
  await own.context().close();
});

test("a member's contacts: newest first, by name on a click of its header, and back (sorted on the server)", async ({
  browser,
}) => {
  // c: the bulk test above disabled a and b.
  const member = MEMBERS[2] as { email: string; password: string };
  const own = await (await browser.newContext()).newPage();
  await signIn(own, member.email, member.password);
  await own.waitForURL((url) => !url.pathname.startsWith("/signin"));
  await own.goto("/contacts");
  const form = own.getByRole("form", { name: "New contact" });
  const contactRows = own.getByTestId("contact-row");
  // Added in an order that is neither the name order nor its reverse.
  for (const [i, name] of ["Mallory", "Alice", "Trent"].entries()) {
    await form.getByLabel("Name").fill(name);
    await form.getByLabel("Email").fill(`sort-${i}@example.com`);
    await form.getByRole("button", { name: "Add contact" }).click();
    await expect(contactRows.filter({ hasText: name })).toHaveCount(1);
  }
  const names = async () =>
    (await contactRows.allTextContents()).map((t) => /Mallory|Alice|Trent/.exec(t)?.[0]).filter(Boolean);
  const table = own.getByRole("table", { name: "Your contacts" });
  const nameHeader = table.getByRole("columnheader", { name: /Name/ });
  await expect(table.getByRole("columnheader", { name: /Added/ })).toHaveAttribute("aria-sort", "descending");
  await expect.poll(names).toEqual(["Trent", "Alice", "Mallory"]);

  const asked = own.waitForRequest((r) => r.url().includes("contacts.list") && r.url().includes("%22name%22"));
  await nameHeader.getByRole("button").click();
  await asked;
  await expect(nameHeader).toHaveAttribute("aria-sort", "ascending");
  await expect.poll(names).toEqual(["Alice", "Mallory", "Trent"]);
  await nameHeader.getByRole("button").click();
  await expect(nameHeader).toHaveAttribute("aria-sort", "descending");
  await expect.poll(names).toEqual(["Trent", "Mallory", "Alice"]);
  await own.context().close();
});

test("the audit log sorts by time on the server: newest first, oldest first on a click, kept on reload", async () => {
  // The admin's two disables in the bulk test above (a, then b), found through the address bar's filters.
  await page.goto(`/admin/audit?action=user.disable&actorId=${encodeURIComponent(ADMIN.email)}`);
  const entries = page.getByTestId("audit-row");
  const disabled = async () =>
    (await entries.allTextContents()).map((t) => new RegExp(`${PREFIX}-[abc]`).exec(t)?.[0] ?? t.slice(0, 80));
  const [a, b] = MEMBERS.map((m) => m.email.split("@")[0] as string);
  const time = page.getByRole("columnheader", { name: /Time/ });
  await expect(time).toHaveAttribute("aria-sort", "descending");
  await expect(page.getByText("Entries, newest first")).toBeVisible();
  await expect.poll(disabled).toEqual([b, a]);

  const listCalls: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("admin.audit.list")) listCalls.push(decodeURIComponent(r.url()));
  });
  await time.getByRole("button").click();
  await expect(time).toHaveAttribute("aria-sort", "ascending");
  await expect.poll(disabled).toEqual([a, b]);
  await expect(page.getByText("Entries, oldest first")).toBeVisible();
  expect(listCalls.some((u) => u.includes('"direction":"asc"'))).toBe(true);
  // The order is in the address bar with the filters: a reload shows the same.
  await expect(page).toHaveURL(/direction=asc/);
  await page.reload();
  await expect(time).toHaveAttribute("aria-sort", "ascending");
  await expect.poll(disabled).toEqual([a, b]);

  await time.getByRole("button").click();
  await expect(time).toHaveAttribute("aria-sort", "descending");
  await expect.poll(disabled).toEqual([b, a]);
  await expect(page).not.toHaveURL(/direction=/);
});

test("the OAuth clients list sorts by name and by creation on the server", async () => {
  const origin = new URL(page.url()).origin;
  // Registered alpha, then zulu: newest first is zulu first, by name alpha first.
  for (const name of ["tables-alpha", "tables-zulu"]) {
    const made = await page.request.post("/api/trpc/admin.oauthClients.create", {
      headers: { origin, "content-type": "application/json" },
      data: {
        name,
        type: "public",
        redirectUris: [`https://${name}.example.com/callback`],
        grantTypes: ["authorization_code"],
        scopes: ["contacts:read"],
      },
    });
    expect(made.status(), await made.text()).toBe(200);
  }
  await page.goto("/admin/oauth-clients");
  const clientRows = page.getByTestId("oauth-client-row").filter({ hasText: "tables-" });
  const inView = async () => (await clientRows.allTextContents()).map((t) => /tables-(alpha|zulu)/.exec(t)?.[0]);
  const clients = page.getByRole("table", { name: "OAuth clients" });
  const created = clients.getByRole("columnheader", { name: /Created/ });
  await expect(created).toHaveAttribute("aria-sort", "descending");
  await expect.poll(inView).toEqual(["tables-zulu", "tables-alpha"]);
  const name = clients.getByRole("columnheader", { name: /Name/ });
  await name.getByRole("button").click();
  await expect(name).toHaveAttribute("aria-sort", "ascending");
  await expect(created).toHaveAttribute("aria-sort", "none");
  await expect.poll(inView).toEqual(["tables-alpha", "tables-zulu"]);
  await created.getByRole("button").click();
  await created.getByRole("button").click();
  await expect(created).toHaveAttribute("aria-sort", "ascending");
  await expect.poll(inView).toEqual(["tables-alpha", "tables-zulu"]);
});
