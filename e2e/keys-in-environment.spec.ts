import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { freePort } from "../server/testing/free-port";

/**
 * A server whose keys come from ENCRYPTION_KEYS cannot rotate them itself:
 * the Encryption keys page says so before and after the click, as the steps to
 * follow (409 keys_in_environment), and nothing changes. Its own server, on
 * its own data folder and port, started as an operator would.
 */

const ROOT = path.resolve(import.meta.dirname, "..");
const ADMIN = { email: "env-keys-admin@example.com", password: "env keys admin passphrase 1" };
let server: ChildProcess;
let dataDir: string;
let baseURL: string;

test.beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-e2e-envkeys-"));
  const port = await freePort();
  baseURL = `http://localhost:${port}`;
  server = spawn(process.execPath, ["scripts/server.mjs"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      APP_URL: baseURL,
      LOG_LEVEL: "warn",
      NEXT_TELEMETRY_DISABLED: "1",
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      ENCRYPTION_KEYS: `*e1:${randomBytes(32).toString("base64url")}`,
      // This server is about where keys come from; its bootstrap admin signs in with the password alone
      // (second factors are e2e/second-factors.spec.ts's subject, on the shared server).
      ADMIN_2FA: "optional",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  server.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  server.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`server not ready:\n${output}`);
    try {
      if ((await fetch(`${baseURL}/api/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test("with keys in ENCRYPTION_KEYS, Rotate key answers with the steps to follow and changes nothing", async ({
  page,
}) => {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to (apply|load|execute)/i.test(message.text())) problems.push(message.text());
  });
  await page.goto(`${baseURL}/signin`);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/signin/);

  await page.goto(`${baseURL}/admin/keys`);
  await expect(page.getByText("Keys come from the ENCRYPTION_KEYS environment variable.")).toBeVisible();
  const keyRows = page.getByTestId("encryption-key-row");
  await expect(keyRows).toHaveCount(1);
  await expect(keyRows.first()).toContainText("e1");

  await page.getByRole("button", { name: "Rotate key" }).click();
  const dialog = page.getByRole("alertdialog");
  // The confirmation already says the server will refuse, and why.
  await expect(dialog).toContainText("The keys come from ENCRYPTION_KEYS");
  await dialog.getByRole("button", { name: "Rotate key" }).click();

  const problem = page.getByTestId("key-action-problem");
  await expect(problem).toHaveAttribute("data-reason", "keys_in_environment");
  await expect(problem).toContainText("gatehouse keys rotate");
  await expect(problem).toContainText("Set that value on every server and restart them.");
  await expect(problem).toContainText("Re-encrypt now");
  // An instruction, not a server failure or a stack trace.
  await expect(problem).not.toContainText(/error|exception|at \w+ \(/i);
  await expect(page.getByTestId("toast").filter({ hasText: "The key was not rotated" })).toBeVisible();

  await page.reload();
  await expect(keyRows).toHaveCount(1);
  await expect(keyRows.first()).toContainText("active");
  expect(problems).toEqual([]);
});
