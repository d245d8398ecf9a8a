import { expect, test } from "@playwright/test";
import { ensureUser, signIn } from "./state";

test("a user creates a token in the dashboard, uses it on REST, revokes it, and it stops working", async ({
  page,
  request,
}) => {
  const user = ensureUser("token-user@example.com", "token user passphrase");
  await signIn(page, user.email, user.password);
  await expect(page).toHaveURL(/\/contacts$/);
  await page.goto("/settings/tokens");

  const form = page.getByRole("form", { name: "Create a token" });
  await form.getByLabel("Name").fill("e2e reader");
  await form.getByRole("checkbox", { name: /contacts:read/ }).check();
  await form.getByRole("button", { name: "Create token" }).click();
  const token = await page.getByTestId("new-token").inputValue();
  expect(token).toMatch(/^gth_[0-9A-Za-z]+$/);

  const ok = await request.get("/api/v1/contacts", { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status()).toBe(200);
  expect(await ok.json()).toEqual({ items: [], nextCursor: null });

  // Read-only: writing is a 403 insufficient_scope naming the scope it lacks.
  const write = await request.post("/api/v1/contacts", {
    headers: { authorization: `Bearer ${token}` },
    data: { name: "Nope", email: "nope@example.com" },
  });
  expect(write.status()).toBe(403);
  expect(write.headers()["www-authenticate"]).toContain('error="insufficient_scope", scope="contacts:write"');

  // The list shows the token by its display part only.
  const row = page.getByTestId("token-row").filter({ hasText: "e2e reader" });
  await expect(row).toContainText(token.slice(-4));
  // Its effective rate limit (RATE_LIMIT_API by default) is shown beside it.
  await expect(row.getByTestId("token-limit")).toContainText("600 / 1 min");

  await row.getByRole("button", { name: "Revoke e2e reader" }).click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toContainText("“e2e reader”");
  await dialog.getByRole("button", { name: "Revoke token" }).click();
  await expect(page.getByTestId("toast").filter({ hasText: "Revoked token “e2e reader”" })).toBeVisible();
  await expect(row).toContainText("revoked");

  const refused = await request.get("/api/v1/contacts", { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
  expect(refused.headers()["www-authenticate"]).toBe('Bearer realm="gatehouse", error="invalid_token"');
});
