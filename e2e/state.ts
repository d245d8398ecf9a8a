import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { type E2EState, STATE_FILE } from "./global-setup";

const ROOT = path.resolve(import.meta.dirname, "..");

export function e2eState(): E2EState {
  return JSON.parse(fs.readFileSync(STATE_FILE, "utf8")) as E2EState;
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Our error alerts (Next.js keeps an empty role=alert route announcer on every page). */
export function alertOf(page: Page) {
  return page.locator('[role="alert"]:not(#__next-route-announcer__)');
}

/**
 * Creates a user through the admin command line on the e2e server's data
 * folder (the same services the dashboard uses), so a spec does not depend
 * on another spec having run first. Returns the credentials.
 */
export function ensureUser(email: string, password: string, role: "admin" | "member" = "member") {
  const { dataDir } = e2eState();
  const result = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(ROOT, "server/cli/index.ts"),
      "user",
      "create",
      "--email",
      email,
      "--password",
      password,
      "--role",
      role,
      "--json",
    ],
    { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent" }, encoding: "utf8" },
  );
  if (result.status !== 0 && !result.stderr.includes("already exists")) {
    throw new Error(`could not create ${email}: ${result.stderr}`);
  }
  return { email, password };
}
