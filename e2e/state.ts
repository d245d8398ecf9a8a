import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { APIRequestContext, APIResponse, Page } from "@playwright/test";
import * as OTPAuth from "otpauth";
import { type E2EState, FACTORS_FILE, STATE_FILE } from "./global-setup";

const ROOT = path.resolve(import.meta.dirname, "..");

export function e2eState(): E2EState {
  return JSON.parse(fs.readFileSync(STATE_FILE, "utf8")) as E2EState;
}

/**
 * Signs in through the form. For an account whose second factor the specs
 * know (rememberSecondFactor: every admin made by ensureUser, and the
 * bootstrap admin once spine.spec.ts enrolled it through the account page),
 * the second step is answered too, with a code from secondFactorCode. A
 * refused password (the form says so) is left on the page for the spec.
 */
/**
 * Signs the browser out by dropping its cookies, after leaving the app: a page left open would notice its
 * session gone (a query answered 401) and redirect itself to the sign-in page, racing whatever the test
 * navigates to next (CI saw page.goto aborted).
 */
export async function dropCookies(page: Page) {
  await page.goto("about:blank");
  await page.context().clearCookies();
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await answerSecondFactor(page, email);
}

/**
 * After "Sign in" was clicked (by signIn, or by a spec filling the form itself): when the account has
 * a second factor the specs know and the form asks for a code, gives one. Otherwise does nothing.
 */
export async function answerSecondFactor(page: Page, email: string) {
  if (!knownSecondFactor(email)) return;
  const codeField = page.getByLabel("Authentication code");
  const quiet = (p: Promise<unknown>) => p.then(() => true).catch(() => false);
  await Promise.race([
    quiet(codeField.waitFor({ state: "visible", timeout: 15_000 })),
    quiet(page.waitForURL((url) => !url.pathname.startsWith("/signin"), { timeout: 15_000 })),
    quiet(alertOf(page).first().waitFor({ state: "visible", timeout: 15_000 })),
  ]);
  if (!(await codeField.isVisible())) return;
  await codeField.fill(secondFactorCode(email));
  await page.getByRole("button", { name: "Verify" }).click();
}

/**
 * For specs that sign in over HTTP (an APIRequestContext, no browser): after the password POST, the
 * second step with a code, when the account has a factor the specs know; null when it has none. The
 * context carries the pending sign-in cookie from the first answer. `app`: the server's origin.
 */
export async function answerSecondStep(
  ctx: APIRequestContext,
  email: string,
  app: string,
  callbackUrl = `${app}/`,
): Promise<APIResponse | null> {
  if (!knownSecondFactor(email)) return null;
  const csrf = (await (await ctx.get("/api/auth/csrf")).json()) as { csrfToken: string };
  return ctx.post("/api/auth/callback/credentials", {
    form: { csrfToken: csrf.csrfToken, email, code: secondFactorCode(email), callbackUrl },
    headers: { origin: app },
    maxRedirects: 0,
  });
}

/** The admin the specs share: created (with a TOTP factor) on first use, then signed in. */
export const E2E_ADMIN = { email: "e2e-admin@example.com", password: "e2e admin passphrase" };

export async function signInAsAdmin(page: Page) {
  ensureUser(E2E_ADMIN.email, E2E_ADMIN.password, "admin");
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
}

interface KnownFactor {
  secret: string;
  recoveryCodes: string[];
  /** The last TOTP step a code was handed out for: the server takes each step once. */
  lastStep: number;
}

function knownFactors(): Record<string, KnownFactor> {
  try {
    return JSON.parse(fs.readFileSync(FACTORS_FILE, "utf8")) as Record<string, KnownFactor>;
  } catch {
    return {};
  }
}

function saveFactors(factors: Record<string, KnownFactor>) {
  fs.writeFileSync(FACTORS_FILE, JSON.stringify(factors), { mode: 0o600 });
}

export function knownSecondFactor(email: string): KnownFactor | undefined {
  return knownFactors()[email.toLowerCase()];
}

/**
 * What the person's authenticator app holds, once enrolled (through the account page or the tool);
 * `usedAt`: when its last code was taken (the enrolment's own), so that step is not handed out again.
 */
export function rememberSecondFactor(email: string, secret: string, recoveryCodes: string[], usedAt = Date.now()) {
  const factors = knownFactors();
  factors[email.toLowerCase()] = { secret, recoveryCodes, lastStep: Math.floor(usedAt / 1000 / STEP_SECONDS) };
  saveFactors(factors);
}

const STEP_SECONDS = 30;

export function totpCodeAt(secret: string, ms: number): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: STEP_SECONDS }).generate({
    timestamp: ms,
  });
}

/**
 * A code the server will take now: the TOTP code of this step or the next
 * (the server accepts one step either side and each step once), or, when
 * both were handed out already, a recovery code (a new set is made through
 * the tool when they run out). So specs never wait for the clock.
 */
export function secondFactorCode(email: string): string {
  const factors = knownFactors();
  const factor = factors[email.toLowerCase()];
  if (!factor) throw new Error(`no known second factor for ${email}`);
  const now = Math.floor(Date.now() / 1000 / STEP_SECONDS);
  const step = Math.max(now, factor.lastStep + 1);
  if (step <= now + 1) {
    factor.lastStep = step;
    saveFactors(factors);
    return totpCodeAt(factor.secret, step * STEP_SECONDS * 1000);
  }
  if (factor.recoveryCodes.length === 0) factor.recoveryCodes = secondFactorTool("recovery-codes", email).recoveryCodes;
  const code = factor.recoveryCodes.shift() as string;
  saveFactors(factors);
  return code;
}

/** As if the user's last second-factor check were more than ten minutes ago (step-up asks again). */
export function forgetSecondFactorChecks(email: string) {
  secondFactorTool("forget-checks", email);
}

/** Runs the real `gatehouse` command line on the e2e server's data folder; its JSON answer. */
export function gatehouse(args: string[]): unknown {
  const { dataDir } = e2eState();
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "server/cli/index.ts"), ...args, "--json"],
    {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent" },
      encoding: "utf8",
    },
  );
  if (result.status !== 0) throw new Error(`gatehouse ${args.join(" ")}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

function secondFactorTool(command: "enrol" | "recovery-codes" | "forget-checks", email: string) {
  const { dataDir } = e2eState();
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "e2e/second-factor-tool.ts"), command, email],
    { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent" }, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`second-factor tool ${command} ${email}: ${result.stderr}`);
  return JSON.parse(result.stdout) as { secret: string; recoveryCodes: string[] };
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
  // ADMIN_2FA=required (the default): an admin enrols a TOTP factor before anything else. The specs'
  // admins get one at creation, as if through the account page, and signIn answers the second step.
  if (role === "admin" && !knownSecondFactor(email)) {
    const enrolled = secondFactorTool("enrol", email);
    // The tool confirms with the previous step's code (e2e/second-factor-tool.ts).
    rememberSecondFactor(email, enrolled.secret, enrolled.recoveryCodes, Date.now() - STEP_SECONDS * 1000);
  }
  return { email, password };
}
