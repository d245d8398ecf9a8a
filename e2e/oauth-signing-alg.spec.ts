import { expect, test } from "@playwright/test";
import { ensureUser, signIn } from "./state";

/**
 * The access-token signing algorithm in the dashboard: an admin registers a
 * client for RS256 with the form's select, the list shows it, the token
 * endpoint signs that client's tokens RS256 with a key the JWKS publishes as
 * RSA, and switching it back to ES256 in the edit form changes what is
 * issued next. The signing-keys card rotates both algorithms' keys.
 */

const ADMIN = { email: "alg-admin@example.com", password: "signing alg admin passphrase" };
const NAME = "E2E RSA-only gateway";

test.beforeAll(() => {
  ensureUser(ADMIN.email, ADMIN.password, "admin");
});

const headerOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString()) as Record<string, string>;

test("an admin registers a client for RS256, its tokens are RS256, and editing it switches them to ES256", async ({
  page,
  request,
}) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/admin$/);
  await page.goto("/admin/oauth-clients");

  const form = page.getByRole("form", { name: "Register a client" });
  await form.getByLabel("Name").fill(NAME);
  // The default is ES256; the choice is a select with both algorithms.
  const alg = form.getByLabel("Access token signing algorithm");
  await expect(alg).toHaveValue("ES256");
  await expect(alg.locator("option")).toHaveText([/^ES256/, /^RS256/]);
  await form.getByRole("checkbox", { name: /authorization_code/ }).uncheck();
  await form.getByRole("checkbox", { name: /refresh_token/ }).uncheck();
  await form.getByRole("checkbox", { name: /client_credentials/ }).check();
  await form.getByRole("checkbox", { name: /contacts:read/ }).check();
  await alg.selectOption("RS256");
  await form.getByRole("button", { name: "Register client" }).click();

  const clientId = await page.getByTestId("new-client-id").inputValue();
  const secret = await page.getByTestId("new-client-secret").inputValue();
  const row = page.getByTestId("oauth-client-row").filter({ hasText: clientId });
  await expect(row.getByTestId("oauth-client-signing-alg")).toHaveText("RS256");

  const basic = `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}`;
  const issue = async () => {
    const res = await request.post("/oauth/token", {
      headers: { authorization: basic },
      form: { grant_type: "client_credentials", scope: "contacts:read" },
    });
    expect(res.status()).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const jwks = async () =>
    ((await (await request.get("/oauth/jwks")).json()) as { keys: Array<Record<string, string>> }).keys;

  const rsaToken = await issue();
  expect(headerOf(rsaToken)).toMatchObject({ alg: "RS256", typ: "at+jwt" });
  const rsaKey = (await jwks()).find((k) => k.kid === headerOf(rsaToken).kid);
  expect(rsaKey).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
  const api = await request.get("/api/v1/contacts", { headers: { authorization: `Bearer ${rsaToken}` } });
  expect(api.status()).toBe(200);

  // Back to ES256 in the edit form: the next token is ES256, the RS256 one still works.
  await page.getByRole("button", { name: `Edit ${NAME}` }).click();
  const edit = page.getByRole("form", { name: `Edit ${NAME}` });
  await expect(edit.getByLabel("Access token signing algorithm")).toHaveValue("RS256");
  await edit.getByLabel("Access token signing algorithm").selectOption("ES256");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(row.getByTestId("oauth-client-signing-alg")).toHaveText("ES256");
  const ecToken = await issue();
  expect(headerOf(ecToken)).toMatchObject({ alg: "ES256", typ: "at+jwt" });
  expect((await jwks()).find((k) => k.kid === headerOf(ecToken).kid)).toMatchObject({ kty: "EC", crv: "P-256" });
  for (const token of [rsaToken, ecToken]) {
    const res = await request.get("/api/v1/contacts", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status()).toBe(200);
  }

  // The signing-keys card: one rotation replaces the key of each algorithm.
  const before = (await jwks()).map((k) => k.kid);
  await page.getByRole("button", { name: "Rotate signing keys now" }).click();
  await page
    .getByRole("alertdialog", { name: "Make new signing keys now?" })
    .getByRole("button", { name: "Rotate signing keys" })
    .click();
  await expect(
    page.getByTestId("toast").filter({ hasText: /New signing keys: sig_\w+ \(ES256\), sig_\w+ \(RS256\)/ }),
  ).toBeVisible();
  const after = await jwks();
  const fresh = after.filter((k) => !before.includes(k.kid));
  expect(fresh.map((k) => [k.alg, k.kty]).sort()).toEqual([
    ["ES256", "EC"],
    ["RS256", "RSA"],
  ]);
  await expect(page.getByTestId("signing-key-row").filter({ hasText: "RS256" }).first()).toBeVisible();
});
