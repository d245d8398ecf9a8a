import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { e2eState, ensureUser, signIn } from "./state";

/**
 * Encryption keys, seen from the dashboard while an operator rotates and
 * re-encrypts from the command line against the RUNNING server: the page
 * shows which key is active and how many values each protects, the server
 * follows the rotation without a restart, and every contact stays readable.
 */

const ROOT = path.resolve(import.meta.dirname, "..");
const ADMIN = { email: "keys-admin@example.com", password: "keys admin passphrase 1" };

function gatehouse(...args: string[]) {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "server/cli/index.ts"), ...args, "--json"],
    {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: e2eState().dataDir, LOG_LEVEL: "silent" },
      encoding: "utf8",
    },
  );
  if (result.status !== 0) throw new Error(`gatehouse ${args.join(" ")} failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

async function valuesOf(page: Page, keyId: string): Promise<number> {
  return Number(await page.getByTestId(`key-values-${keyId}`).textContent());
}

test("an admin follows a key rotation and re-encryption on the Encryption keys page", async ({ page }) => {
  ensureUser(ADMIN.email, ADMIN.password, "admin");
  await signIn(page, ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL(/\/admin$/);

  await page.goto("/contacts");
  const form = page.getByRole("form", { name: "New contact" });
  await form.getByLabel("Name").fill("Hedy Lamarr");
  await form.getByLabel("Email").fill("hedy@keys.example");
  await form.getByLabel("Phone").fill("+1 310 555 0199");
  await form.getByLabel("Notes").fill("frequency hopping");
  await form.getByRole("button", { name: "Add contact" }).click();
  await expect(page.getByTestId("contact-row").filter({ hasText: "Hedy Lamarr" })).toContainText("hedy@keys.example");

  await page.getByRole("link", { name: "Encryption keys" }).click();
  await expect(page.getByRole("heading", { name: "Encryption keys" })).toBeVisible();
  const before = gatehouse("keys", "list");
  const first = before.keys.find((k: { active: boolean }) => k.active).id as string;
  const activeRow = page.getByTestId("encryption-key-row").filter({ hasText: first });
  await expect(activeRow).toContainText("active");
  expect(await valuesOf(page, first)).toBeGreaterThanOrEqual(3); // this contact's email, phone and notes at least
  await expect(page.getByText("Keys come from the data folder (secrets.json).")).toBeVisible();
  // The page names the key by the fingerprint `keys list` shows, and its check against the stored values.
  const listed = before.keys.find((k: { id: string }) => k.id === first) as { fingerprint: string };
  expect(listed.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  await expect(page.getByTestId(`key-fingerprint-${first}`)).toHaveText(listed.fingerprint);
  await expect(page.getByTestId(`key-check-${first}`)).toContainText("ok");
  await expect(page.getByTestId("key-problems")).toHaveCount(0);

  // Rotate from the command line; the running server picks the new key up.
  const rotated = gatehouse("keys", "rotate");
  const second = rotated.keyId as string;
  await page.reload();
  await expect(page.getByTestId("encryption-key-row").filter({ hasText: second })).toContainText("active");
  await expect(page.getByTestId("encryption-key-row").filter({ hasText: first })).toContainText("retiring");
  await expect(page.getByTestId("rows-to-reencrypt")).toContainText("still have values under an older key");

  // A contact added now is sealed with the new key, and the old one still reads.
  await page.goto("/contacts");
  await form.getByLabel("Name").fill("Ada Lovelace");
  await form.getByLabel("Email").fill("ada@keys.example");
  await form.getByRole("button", { name: "Add contact" }).click();
  await expect(page.getByTestId("contact-row").filter({ hasText: "Ada Lovelace" })).toContainText("ada@keys.example");
  await expect(page.getByTestId("contact-row").filter({ hasText: "Hedy Lamarr" })).toContainText("frequency hopping");

  const job = gatehouse("keys", "reencrypt", "--batch-size", "2").job;
  expect(job).toMatchObject({ status: "finished", targetKeyId: second });

  await page.goto("/admin/keys");
  await expect(page.getByTestId("rows-to-reencrypt")).toHaveText("Every stored value is under the active key.");
  await expect(page.getByTestId("encryption-key-row").filter({ hasText: first })).toContainText("unused, removable");
  expect(await valuesOf(page, first)).toBe(0);
  expect(await valuesOf(page, second)).toBeGreaterThanOrEqual(4);
  await expect(page.getByTestId("reencryption-job")).toContainText(`to key ${second}`);
  await expect(page.getByTestId("reencryption-job")).toContainText("finished");

  // Everything is still readable, through the page and the API.
  await page.goto("/contacts");
  await expect(page.getByTestId("contact-row").filter({ hasText: "Hedy Lamarr" })).toContainText("+13105550199");
  const lookup = await page.request.get(
    `/api/trpc/contacts.list?input=${encodeURIComponent(JSON.stringify({ email: "HEDY@keys.example" }))}`,
  );
  expect(lookup.status()).toBe(200);
  const items = (await lookup.json()).result.data.items as Array<{ name: string }>;
  expect(items.map((c) => c.name)).toEqual(["Hedy Lamarr"]);

  // The rotation and the re-encryption are in the audit log.
  const audit = await page.request.get(
    `/api/trpc/admin.audit.list?input=${encodeURIComponent(JSON.stringify({ action: "encryption." }))}`,
  );
  const actions = ((await audit.json()).result.data.items as Array<{ action: string }>).map((e) => e.action);
  expect(actions).toEqual(
    expect.arrayContaining(["encryption.rotate", "encryption.reencrypt_start", "encryption.reencrypt_finish"]),
  );
});
