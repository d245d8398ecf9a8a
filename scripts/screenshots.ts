/**
 * `npm run screenshots`: renders the dashboard pages shown in the README into
 * docs/screenshots/, from a production server on a fresh data folder seeded
 * through the same services the app uses. Needs a build (`npm run build`).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "@playwright/test";
import { startLocalServer } from "./lib/local-server";

const ROOT = path.resolve(import.meta.dirname, "..");
const PORT = Number(process.env.SCREENSHOT_PORT ?? 3950);
const BASE = `http://localhost:${PORT}`;
const OUT = path.join(ROOT, "docs", "screenshots");
const ADMIN = { email: "admin@example.com", password: "screenshot admin passphrase" };
const MEMBER = { email: "ada@example.com", password: "screenshot member passphrase" };
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-shots-"));

async function seed() {
  process.env.DATA_DIR = dataDir;
  const { createUser } = await import("../server/services/users");
  const { createContact } = await import("../server/services/contacts");
  const { createToken } = await import("../server/services/tokens");
  const { createCliContext } = await import("../server/cli/context");
  // The operator's service context: the same services, audited as actor `cli`.
  const svc = await createCliContext().services();
  const member = await createUser(svc, {
    email: MEMBER.email,
    name: "Ada Lovelace",
    password: MEMBER.password,
    role: "member",
  });
  for (const [name, email, phone] of [
    ["Charles Babbage", "charles@example.com", "+442079460000"],
    ["Mary Somerville", "mary@example.com", "+441314960000"],
    ["Michael Faraday", "michael@example.com", undefined],
  ] as const) {
    await createContact(svc, member.id, { name, email, phone, notes: "Met at the Royal Society" });
  }
  await createToken(svc, member.id, {
    name: "nightly export",
    scopes: ["contacts:read"],
    expiresInMs: 30 * 86_400_000,
  });
  await createToken(svc, member.id, {
    name: "CRM sync",
    scopes: ["contacts:read", "contacts:write"],
    expiresInMs: 90 * 86_400_000,
  });
  for (const email of ["grace@example.com", "alan@example.com"]) {
    await createUser(svc, { email, password: "another member passphrase", role: "member" });
  }
  return { ...(await seedOAuth(svc, member.id)), adminRecoveryCodes: await enrolAdmin(svc) };
}

/**
 * Admins must have a second factor (ADMIN_2FA=required): the admin enrols a TOTP factor through the
 * same services as the account page, and each sign-in answers the second step with one of its
 * recovery codes (each taken once, and no waiting for the next TOTP step between sign-ins).
 */
async function enrolAdmin(svc: import("../server/services/context").ServiceContext): Promise<string[]> {
  const { findUserByEmail } = await import("../server/services/users");
  const { confirmTotpEnrolment, startTotpEnrolment } = await import("../server/services/second-factors");
  const { totpCodeAt } = await import("../server/services/second-factors-totp");
  const admin = await findUserByEmail(svc.db, ADMIN.email);
  if (!admin) throw new Error(`the server did not create ${ADMIN.email}`);
  const started = await startTotpEnrolment(svc, admin);
  const code = totpCodeAt(started.secret, Date.now() - 30_000);
  return (await confirmTotpEnrolment(svc, admin.id, started.factorId, code)).recoveryCodes ?? [];
}

/** OAuth clients, and an app Ada has authorised (consent given and code redeemed, through the same services). */
async function seedOAuth(svc: import("../server/services/context").ServiceContext, memberId: string) {
  const { createHash, randomBytes } = await import("node:crypto");
  const { createClient, getClientRow } = await import("../server/services/oauth-clients");
  const { createPendingAuthorization, openConsent, decideConsent } = await import("../server/services/oauth-consent");
  const { redeemAuthorizationCode } = await import("../server/services/oauth-tokens");
  const { rotateSigningKey } = await import("../server/oauth/signing-keys");
  if (svc.keyring) {
    await rotateSigningKey(svc.db, {
      clock: svc.clock,
      keyring: svc.keyring,
      actor: svc.actor,
      client: svc.client,
      force: true,
    });
  }
  const crm = await createClient(svc, {
    name: "CRM Sync",
    type: "confidential",
    redirectUris: ["https://crm.example.com/oauth/callback"],
    grantTypes: ["authorization_code", "refresh_token"],
    scopes: ["contacts:read", "contacts:write"],
  });
  const reports = await createClient(svc, {
    name: "Reporting dashboard",
    type: "public",
    redirectUris: ["https://reports.example.com/callback", "http://127.0.0.1:8400/callback"],
    grantTypes: ["authorization_code", "refresh_token"],
    scopes: ["contacts:read"],
  });
  await createClient(svc, {
    name: "Nightly backup job",
    type: "confidential",
    redirectUris: [],
    grantTypes: ["client_credentials"],
    scopes: ["contacts:read"],
    accessTokenTtlSeconds: 300,
  });
  const verifier = randomBytes(32).toString("base64url");
  const codeChallenge = createHash("sha256").update(verifier).digest("base64url");
  const client = await getClientRow(svc.db, crm.client.id);
  const redirectUri = client.redirectUris[0] as string;
  const requestId = await createPendingAuthorization(
    svc,
    { client, redirectUri, scopes: ["contacts:read", "contacts:write"], state: "seed", codeChallenge },
    memberId,
  );
  const view = await openConsent(svc, requestId, memberId);
  const outcome = await decideConsent(
    { ...svc, issuer: BASE },
    { requestId, userId: memberId, csrfToken: view?.csrfToken ?? "", allow: true },
  );
  const code = outcome.kind === "redirect" ? new URL(outcome.location).searchParams.get("code") : null;
  await redeemAuthorizationCode({ ...svc, issuer: BASE, audience: `${BASE}/api` }, client, {
    code: code ?? "",
    redirectUri,
    codeVerifier: verifier,
  });
  const consentUrl = new URL("/oauth/authorize", BASE);
  for (const [name, value] of Object.entries({
    response_type: "code",
    client_id: reports.client.id,
    redirect_uri: "https://reports.example.com/callback",
    scope: "contacts:read",
    state: "af0ifjsldkj",
    code_challenge: codeChallenge,
    code_challenge_method: "S256",
  })) {
    consentUrl.searchParams.set(name, value);
  }
  return { consentPath: consentUrl.pathname + consentUrl.search };
}

async function main() {
  const server = await startLocalServer(BASE, {
    DATA_DIR: dataDir,
    PORT: String(PORT),
    HOST: "127.0.0.1",
    APP_URL: BASE,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: "warn",
    NEXT_TELEMETRY_DISABLED: "1",
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--no-first-run",
    ],
  });
  try {
    const { consentPath, adminRecoveryCodes } = await seed();
    fs.mkdirSync(OUT, { recursive: true });
    // Each page in both themes: the light set as <name>.png, the dark one as <name>-dark.png (the
    // browser prefers dark, as a system set to dark does; no theme cookie, so "System" decides).
    const shoot = async (
      who: { email: string; password: string },
      pages: Array<[string, string]>,
      options: { width?: number; height?: number; openMenu?: boolean } = {},
    ) => {
      for (const scheme of ["light", "dark"] as const) {
        const context = await browser.newContext({
          viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
          baseURL: BASE,
          colorScheme: scheme,
        });
        const page = await context.newPage();
        await page.goto("/signin");
        await page.getByLabel("Email").fill(who.email);
        await page.getByLabel("Password").fill(who.password);
        await page.getByRole("button", { name: "Sign in" }).click();
        const codeField = page.getByLabel("Authentication code");
        // Whichever comes first: the second step (an admin) or the page (a member); the other is dropped.
        await Promise.race([
          codeField.waitFor({ state: "visible" }).catch(() => undefined),
          page.waitForURL((url) => !url.pathname.startsWith("/signin")).catch(() => undefined),
        ]);
        if (await codeField.isVisible()) {
          const code = adminRecoveryCodes.shift();
          if (!code) throw new Error("out of recovery codes");
          await codeField.fill(code);
          await page.getByRole("button", { name: "Verify" }).click();
        }
        await page.waitForURL((url) => !url.pathname.startsWith("/signin"));
        for (const [route, file] of pages) {
          const name = scheme === "dark" ? file.replace(/\.png$/, "-dark.png") : file;
          await page.goto(route);
          await page.waitForLoadState("networkidle");
          if (options.openMenu) {
            await page.getByRole("button", { name: "Menu" }).click();
            await page.getByRole("dialog", { name: "Menu" }).waitFor();
          }
          await page.screenshot({ path: path.join(OUT, name), fullPage: !options.openMenu });
          console.log(`docs/screenshots/${name}`);
        }
        await context.close();
      }
    };
    await shoot(MEMBER, [
      ["/contacts", "contacts.png"],
      ["/settings/tokens", "settings-tokens.png"],
      ["/settings/apps", "settings-apps.png"],
      [consentPath, "oauth-consent.png"],
    ]);
    // A phone (390 px): the page, and the navigation in its menu.
    await shoot(MEMBER, [["/contacts", "mobile-contacts.png"]], { width: 390, height: 844 });
    await shoot(MEMBER, [["/contacts", "mobile-menu.png"]], { width: 390, height: 844, openMenu: true });
    await shoot(
      ADMIN,
      (JSON.parse(process.env.SCREENSHOT_ADMIN_PAGES ?? "null") as Array<[string, string]> | null) ?? [
        ["/admin", "admin-overview.png"],
        ["/admin/users", "admin-users.png"],
        ["/admin/tokens", "admin-tokens.png"],
        ["/admin/oauth-clients", "admin-oauth-clients.png"],
        ["/admin/audit", "admin-audit.png"],
        ["/admin/cors", "admin-cors.png"],
        ["/admin/rate-limits", "admin-rate-limits.png"],
        ["/admin/keys", "admin-keys.png"],
      ],
    );
  } finally {
    await browser.close();
    // The server writes its counters as it stops: the data folder goes once it has exited.
    const exited = new Promise((resolve) => (server.exitCode === null ? server.once("exit", resolve) : resolve(null)));
    server.kill("SIGTERM");
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
