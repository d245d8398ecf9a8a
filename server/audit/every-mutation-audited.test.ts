import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { oauthConsents, oauthGrants } from "@/db/schema";
import type { Principal } from "../auth/principal";
import { attemptSignIn } from "../auth/sign-in";
import { loadOrCreateSecrets } from "../config/secrets";
import { createContextInner, type InnerContextOptions } from "../context";
import { fileKeyring } from "../crypto/keyring";
import { newId } from "../ids";
import { limiterFor } from "../ratelimit/runtime";
import { appRouter, createCaller } from "../root";
import { SYSTEM_ACTOR } from "../services/audit";
import { listSecondFactors, startTotpEnrolment } from "../services/second-factors";
import { totpCodeAt } from "../services/second-factors-totp";
import { createToken } from "../services/tokens";
import { createTestRuntime, nextTotpCode, seedUser } from "../testing/harness";
import { softwareAuthenticator } from "../testing/software-authenticator";

/**
 * Every mutation procedure in the router must write at least one audit entry
 * when it succeeds. The list of mutations comes from the router itself
 * (appRouter._def.procedures), so a new mutation is checked the moment it is
 * mounted; to call it, the test needs a valid input from the table below. A
 * mutation without a row in the table fails — so nobody can add one and
 * forget its audit entry. The entry is recognised by the request id of the
 * call, so it was written by that call.
 */
const rt = createTestRuntime();
const limiter = limiterFor(rt);
let seq = 0;
const unique = (label: string) => `${label}-${++seq}`;
const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh user of the given role with a live session (a new one per row, so rows cannot disturb each other). */
async function user(role: "admin" | "member" = "member") {
  return seedUser(rt, `${unique(role)}@example.com`, role, "correct horse battery staple");
}

function tokenFor(principal: Principal, name = unique("token")) {
  return createToken(
    { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "seed" } },
    principal.userId,
    { name, scopes: ["contacts:read"] },
  );
}

function callerAs(principal: Principal, requestId: string, context: Partial<InnerContextOptions> = {}) {
  return createCaller(
    createContextInner({
      db: rt.db,
      clock: rt.clock,
      principal,
      keyring: rt.keyring,
      limiter,
      client: { ip: "203.0.113.9", userAgent: "every-mutation test", requestId },
      ...context,
    }),
  );
}

/** A confidential OAuth client registered by a fresh admin, for the rows that act on one. */
async function oauthClient() {
  const admin = await user("admin");
  const created = await callerAs(admin.principal, "seed").admin.oauthClients.create({
    name: unique("client"),
    type: "confidential",
    redirectUris: ["https://app.example.com/callback"],
    grantTypes: ["authorization_code", "refresh_token"],
    scopes: ["contacts:read"],
  });
  return { admin, client: created.client };
}

/** What the authorization flow leaves behind when a user allows a client: a consent and a live grant. */
async function authorize(userId: string, clientId: string) {
  const now = rt.clock.now();
  const grantId = newId("oauthGrant");
  await rt.db
    .insert(oauthConsents)
    .values({ id: newId("oauthConsent"), userId, clientId, scopes: ["contacts:read"], createdAt: now, updatedAt: now })
    .run();
  await rt.db
    .insert(oauthGrants)
    .values({
      id: grantId,
      clientId,
      userId,
      kind: "authorization_code",
      scopes: ["contacts:read"],
      createdAt: now,
      expiresAt: new Date(now.getTime() + 86_400_000),
    })
    .run();
  return grantId;
}

/** Registers a passkey (a software authenticator) for the principal, through the procedures. */
async function passkeyFor(principal: Principal) {
  const key = softwareAuthenticator();
  const setup = callerAs(principal, "seed", { config: rt.config }).account.secondFactors;
  const started = await setup.startPasskey();
  const response = key.register({
    challenge: started.challenge,
    origin: rt.config.appUrl.origin,
    rpId: rt.config.appUrl.hostname,
  });
  await setup.confirmPasskey({ name: "Key", response: JSON.stringify(response) });
  return key;
}

interface ValidCall {
  as: Principal;
  input: unknown;
  /** What the call needs beyond the shared runtime (e.g. keys in a data folder). */
  context?: Partial<InnerContextOptions>;
}

/** One valid call per mutation. Add a row when you add a mutation (the test tells you which is missing). */
const VALID: Record<string, () => Promise<ValidCall>> = {
  "account.changePassword": async () => {
    const u = await user();
    return { as: u.principal, input: { currentPassword: u.password, newPassword: "a different long passphrase" } };
  },
  "account.endSession": async () => {
    const u = await user();
    return { as: u.principal, input: { id: u.principal.sessionId } };
  },
  "account.endOtherSessions": async () => ({ as: (await user()).principal, input: undefined }),
  "account.secondFactors.startTotp": async () => ({ as: (await user()).principal, input: {} }),
  "account.secondFactors.confirmTotp": async () => {
    const u = await user();
    const client = { ip: null, userAgent: null, requestId: "seed" };
    const started = await startTotpEnrolment(
      { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client, keyring: rt.keyring },
      u.user,
    );
    return {
      as: u.principal,
      input: { factorId: started.factorId, code: totpCodeAt(started.secret, rt.clock.now().getTime()) },
    };
  },
  // An admin comes with a TOTP factor and a session that just passed it (seedUser): step-up is satisfied.
  "account.secondFactors.remove": async () => {
    const u = await user("admin");
    return { as: u.principal, input: { id: (await listSecondFactors(rt.db, u.user.id)).factors[0]?.id } };
  },
  "account.secondFactors.regenerateRecoveryCodes": async () => ({
    as: (await user("admin")).principal,
    input: undefined,
  }),
  "account.secondFactors.startPasskey": async () => ({
    as: (await user()).principal,
    input: undefined,
    context: { config: rt.config },
  }),
  "account.secondFactors.confirmPasskey": async () => {
    const u = await user();
    const started = await callerAs(u.principal, "seed", { config: rt.config }).account.secondFactors.startPasskey();
    const response = softwareAuthenticator().register({
      challenge: started.challenge,
      origin: rt.config.appUrl.origin,
      rpId: rt.config.appUrl.hostname,
    });
    return {
      as: u.principal,
      input: { name: "Key", response: JSON.stringify(response) },
      context: { config: rt.config },
    };
  },
  "signIn.passkeyOptions": async () => {
    const u = await user();
    const setup = callerAs(u.principal, "seed", { config: rt.config }).account.secondFactors;
    const started = await setup.startPasskey();
    const response = softwareAuthenticator().register({
      challenge: started.challenge,
      origin: rt.config.appUrl.origin,
      rpId: rt.config.appUrl.hostname,
    });
    await setup.confirmPasskey({ name: "Key", response: JSON.stringify(response) });
    const first = await attemptSignIn(
      rt,
      { email: u.user.email, password: u.password },
      { ip: null, userAgent: null, requestId: "seed" },
    );
    if (first.ok || first.reason !== "second_factor") throw new Error("expected a pending sign-in");
    return { as: u.principal, input: undefined, context: { config: rt.config, pendingSignInHandle: first.handle } };
  },
  "account.stepUpPasskeyOptions": async () => {
    const u = await user();
    await passkeyFor(u.principal);
    return { as: u.principal, input: undefined, context: { config: rt.config } };
  },
  "account.stepUpWithPasskey": async () => {
    const u = await user();
    const key = await passkeyFor(u.principal);
    const options = await callerAs(u.principal, "seed", { config: rt.config }).account.stepUpPasskeyOptions();
    const answer = key.assert({
      challenge: options.challenge,
      origin: rt.config.appUrl.origin,
      rpId: rt.config.appUrl.hostname,
    });
    return { as: u.principal, input: { passkey: JSON.stringify(answer) }, context: { config: rt.config } };
  },
  "account.stepUp": async () => {
    const u = await user("admin");
    return { as: u.principal, input: { code: nextTotpCode(rt, u.totpSecret as string) } };
  },
  "contacts.create": async () => ({
    as: (await user()).principal,
    input: { name: "Ada Lovelace", email: "ada@example.com" },
  }),
  "contacts.update": async () => {
    const u = await user();
    const contact = await callerAs(u.principal, "seed").contacts.create({ name: "Ada", email: "ada@example.com" });
    return { as: u.principal, input: { id: contact.id, notes: "met at the analytical engine" } };
  },
  "contacts.delete": async () => {
    const u = await user();
    const contact = await callerAs(u.principal, "seed").contacts.create({ name: "Ada", email: "ada@example.com" });
    return { as: u.principal, input: { id: contact.id } };
  },
  "tokens.create": async () => ({
    as: (await user()).principal,
    input: { name: "ci", scopes: ["contacts:read"] },
  }),
  "tokens.revoke": async () => {
    const u = await user();
    return { as: u.principal, input: { id: (await tokenFor(u.principal)).id } };
  },
  "tokens.rotate": async () => {
    const u = await user();
    return { as: u.principal, input: { id: (await tokenFor(u.principal)).id } };
  },
  "tokens.revokeAll": async () => {
    const u = await user();
    await tokenFor(u.principal);
    return { as: u.principal, input: {} };
  },
  "admin.users.create": async () => ({
    as: (await user("admin")).principal,
    input: { email: `${unique("new")}@example.com`, role: "member", password: "a long enough password" },
  }),
  "admin.users.setDisabled": async () => ({
    as: (await user("admin")).principal,
    input: { id: (await user()).user.id, disabled: true },
  }),
  "admin.users.setRole": async () => ({
    as: (await user("admin")).principal,
    input: { id: (await user()).user.id, role: "admin" },
  }),
  "admin.users.setPassword": async () => ({
    as: (await user("admin")).principal,
    input: { id: (await user()).user.id, password: "a brand new password" },
  }),
  "admin.users.endSessions": async () => ({
    as: (await user("admin")).principal,
    input: { id: (await user()).user.id },
  }),
  "admin.users.endSession": async () => {
    const u = await user();
    return { as: (await user("admin")).principal, input: { id: u.user.id, sessionId: u.session.id } };
  },
  "admin.users.createToken": async () => ({
    as: (await user("admin")).principal,
    input: { id: (await user()).user.id, name: "made by an admin", scopes: ["contacts:read"] },
  }),
  "admin.encryption.rotate": async () => {
    // Keys in a data folder of its own (a rotation changes secrets.json there).
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-audited-rotate-"));
    tempDirs.push(dataDir);
    const keyring = fileKeyring(dataDir, loadOrCreateSecrets(dataDir).encryption);
    return { as: (await user("admin")).principal, input: {}, context: { keyring, dataDir } };
  },
  "admin.encryption.reencrypt": async () => ({ as: (await user("admin")).principal, input: {} }),
  "admin.users.revokeAll": async () => ({
    as: (await user("admin")).principal,
    input: { id: (await user()).user.id },
  }),
  "admin.tokens.revoke": async () => {
    const owner = await user();
    return { as: (await user("admin")).principal, input: { id: (await tokenFor(owner.principal)).id } };
  },
  "admin.audit.startExport": async () => ({ as: (await user("admin")).principal, input: { format: "csv" } }),
  "admin.cors.add": async () => ({
    as: (await user("admin")).principal,
    input: { origin: `https://${unique("app")}.example.com` },
  }),
  "admin.cors.remove": async () => {
    const admin = await user("admin");
    const added = await callerAs(admin.principal, "seed").admin.cors.add({
      origin: `https://${unique("app")}.example.com`,
    });
    return { as: admin.principal, input: { id: added.id } };
  },
  "admin.cors.setCredentials": async () => {
    const admin = await user("admin");
    const added = await callerAs(admin.principal, "seed").admin.cors.add({
      origin: `https://${unique("app")}.example.com`,
    });
    return { as: admin.principal, input: { id: added.id, allowCredentials: true } };
  },
  "admin.rateLimits.setOverride": async () => ({
    as: (await user("admin")).principal,
    input: { target: { type: "user", email: (await user()).user.email }, limit: 500, windowSeconds: 60 },
  }),
  "admin.rateLimits.removeOverride": async () => {
    const admin = await user("admin");
    const override = await callerAs(admin.principal, "seed").admin.rateLimits.setOverride({
      target: { type: "user", email: (await user()).user.email },
      limit: 500,
      windowSeconds: 60,
    });
    return { as: admin.principal, input: { id: override.id } };
  },
  "admin.oauthClients.create": async () => ({
    as: (await user("admin")).principal,
    input: {
      name: "Billing",
      type: "confidential",
      redirectUris: ["https://billing.example.com/callback"],
      grantTypes: ["authorization_code", "refresh_token"],
      scopes: ["contacts:read"],
    },
  }),
  "admin.oauthClients.update": async () => {
    const { admin, client } = await oauthClient();
    return { as: admin.principal, input: { id: client.id, scopes: ["contacts:read", "contacts:write"] } };
  },
  "admin.oauthClients.rotateSecret": async () => {
    const { admin, client } = await oauthClient();
    return { as: admin.principal, input: { id: client.id, graceSeconds: 3600 } };
  },
  "admin.oauthClients.setDisabled": async () => {
    const { admin, client } = await oauthClient();
    return { as: admin.principal, input: { id: client.id, disabled: true } };
  },
  "admin.oauthClients.delete": async () => {
    const { admin, client } = await oauthClient();
    return { as: admin.principal, input: { id: client.id } };
  },
  "admin.oauthClients.revokeGrant": async () => {
    const { admin, client } = await oauthClient();
    return { as: admin.principal, input: { grantId: await authorize((await user()).user.id, client.id) } };
  },
  "admin.oauthClients.rotateSigningKey": async () => ({ as: (await user("admin")).principal, input: {} }),
  "oauthApps.revoke": async () => {
    const { client } = await oauthClient();
    const u = await user();
    await authorize(u.user.id, client.id);
    return { as: u.principal, input: { clientId: client.id } };
  },
  "admin.rateLimits.unlock": async () => ({
    as: (await user("admin")).principal,
    input: { email: (await user()).user.email },
  }),
};

const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
const MUTATIONS = Object.keys(procedures)
  .filter((path) => procedures[path]?._def.type === "mutation")
  .sort();

function procedureAt(caller: unknown, path: string): (input: unknown) => Promise<unknown> {
  return path.split(".").reduce((node, key) => (node as Record<string, unknown>)[key], caller) as never;
}

describe("every mutation writes an audit entry", () => {
  it("finds the mutations in the router (the walk itself works)", () => {
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(15);
    expect(MUTATIONS).toContain("contacts.create");
    expect(MUTATIONS).not.toContain("contacts.list");
  });

  it("has no table rows for mutations that no longer exist", () => {
    expect(Object.keys(VALID).filter((path) => !MUTATIONS.includes(path))).toEqual([]);
  });

  it.each(MUTATIONS)("%s", async (path) => {
    const valid = VALID[path];
    if (!valid) {
      expect.fail(
        `${path} is a mutation with no row in VALID (server/audit/every-mutation-audited.test.ts): add a valid input so this test can check that it writes an audit entry`,
      );
    }
    const call = await valid();
    const requestId = newId("request");
    await procedureAt(callerAs(call.as, requestId, call.context), path)(call.input);

    const written = await rt.db.all<{ action: string; outcome: string }>(
      sql`select action, outcome from audit_log where request_id = ${requestId}`,
    );
    expect(written.length, `${path} succeeded but wrote no audit entry`).toBeGreaterThan(0);
    expect(written.some((e) => e.outcome === "success")).toBe(true);
  });
});
