import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, oauthClients, oauthGrants, oauthSigningKeys, users } from "@/db/schema";
import type { Principal } from "../../auth/principal";
import { newId } from "../../ids";
import { hashSecret } from "../../oauth/credentials";
import { seedGrant } from "../../oauth/testing/testbed";
import {
  callerFor,
  codeOf,
  createTestRuntime,
  failureOf as failure,
  seedUser,
  type TestRuntime,
} from "../../testing/harness";

const HOUR_MS = 3_600_000;

const WEB_APP = {
  name: "Billing dashboard",
  type: "confidential" as const,
  redirectUris: ["https://billing.example.com/callback"],
  grantTypes: ["authorization_code" as const, "refresh_token" as const],
  scopes: ["contacts:read" as const],
};

describe("admin.oauthClients", () => {
  let rt: TestRuntime;
  let admin: Awaited<ReturnType<typeof seedUser>>;
  let alice: Awaited<ReturnType<typeof seedUser>>;

  beforeEach(async () => {
    rt = createTestRuntime();
    admin = await seedUser(rt, "root@example.com", "admin");
    alice = await seedUser(rt, "alice@example.com");
  });

  const ops = () => callerFor(rt, admin.principal).admin.oauthClients;
  const audits = (action: string) => rt.db.select().from(auditLog).where(eq(auditLog.action, action)).all();
  const clientRow = (id: string) => rt.db.select().from(oauthClients).where(eq(oauthClients.id, id)).get();

  const grant = (clientId: string, userId: string, ttlMs = 24 * HOUR_MS) => seedGrant(rt, { clientId, userId, ttlMs });

  it("is for administrators only: members are FORBIDDEN, anonymous callers UNAUTHORIZED, before any input is read", async () => {
    const someId = newId("oauthClient");
    for (const [principal, expected] of [
      [alice.principal, "FORBIDDEN"],
      [null, "UNAUTHORIZED"],
    ] as Array<[Principal | null, string]>) {
      const api = callerFor(rt, principal).admin.oauthClients;
      expect(await codeOf(api.list())).toBe(expected);
      expect(await codeOf(api.get({ id: someId }))).toBe(expected);
      expect(await codeOf(api.create(WEB_APP))).toBe(expected);
      expect(await codeOf(api.update({ id: someId, name: "Renamed" }))).toBe(expected);
      expect(await codeOf(api.rotateSecret({ id: someId, graceSeconds: 0 }))).toBe(expected);
      expect(await codeOf(api.setDisabled({ id: someId, disabled: true }))).toBe(expected);
      expect(await codeOf(api.delete({ id: someId }))).toBe(expected);
      expect(await codeOf(api.grants({ id: someId }))).toBe(expected);
      expect(await codeOf(api.revokeGrant({ grantId: newId("oauthGrant") }))).toBe(expected);
      expect(await codeOf(api.signingKeys())).toBe(expected);
      expect(await codeOf(api.rotateSigningKey({}))).toBe(expected);
    }
    expect(await rt.db.select().from(oauthClients).all()).toHaveLength(0);
    expect(await rt.db.select().from(oauthSigningKeys).all()).toHaveLength(0);
  });

  it("an admin's API token without the admin scope is refused too", async () => {
    const token: Principal = {
      kind: "token",
      tokenId: newId("token"),
      userId: admin.user.id,
      email: admin.user.email,
      role: "admin",
      scopes: ["contacts:read"],
      mustChangePassword: false,
    };
    expect(await failure(callerFor(rt, token).admin.oauthClients.create(WEB_APP))).toBe("FORBIDDEN:insufficient_scope");
  });

  it("creates a client, shows its secret once, and never lists, gets or audits it", async () => {
    const created = await ops().create(WEB_APP);
    const secret = created.clientSecret;
    expect(secret).toMatch(/^ghs_[0-9A-Za-z]{49}$/);
    expect(created.client).toMatchObject({
      name: "Billing dashboard",
      type: "confidential",
      redirectUris: ["https://billing.example.com/callback"],
      scopes: ["contacts:read"],
      accessTokenTtlSeconds: 600,
      refreshTokenTtlSeconds: 30 * 86_400,
      secretDisplay: `ghs_…${secret?.slice(-4)}`,
      disabledAt: null,
      activeGrants: 0,
    });
    expect(created.client.id).toMatch(/^ocl_[0-9a-z]{20}$/);
    // Only the hash is stored.
    const row = await clientRow(created.client.id);
    expect(row?.secretHash).toBe(hashSecret(secret as string));
    expect(JSON.stringify(row)).not.toContain(secret);

    const listed = (await ops().list()).items;
    expect(listed.map((c) => c.id)).toEqual([created.client.id]);
    const fetched = await ops().get({ id: created.client.id });
    for (const answer of [listed, fetched]) {
      expect(JSON.stringify(answer)).not.toContain(secret);
      expect(JSON.stringify(answer)).not.toContain(row?.secretHash);
    }
    expect(fetched).not.toHaveProperty("clientSecret");
    expect(fetched).not.toHaveProperty("secretHash");

    const [entry] = await audits("oauth_client.create");
    expect(entry).toMatchObject({ actorKind: "user", actorId: admin.user.id, targetId: created.client.id });
    expect(JSON.stringify(await audits("oauth_client.create"))).not.toContain(secret);
  });

  it("registers a public client without a secret, and a client-credentials client with its service account", async () => {
    const spa = await ops().create({ ...WEB_APP, name: "SPA", type: "public" });
    expect(spa.clientSecret).toBeNull();
    expect(spa.client.secretDisplay).toBeNull();

    const machine = await ops().create({
      name: "Nightly export",
      type: "confidential",
      redirectUris: [],
      grantTypes: ["client_credentials"],
      scopes: ["contacts:read"],
      accessTokenTtlSeconds: 300,
    });
    expect(machine.client.accessTokenTtlSeconds).toBe(300);
    const serviceUser = await rt.db
      .select()
      .from(users)
      .where(eq(users.id, machine.client.serviceUserId as string))
      .get();
    expect(serviceUser).toMatchObject({ role: "member", passwordHash: "" });
    // A public client has no secret to rotate.
    expect(await failure(ops().rotateSecret({ id: spa.client.id, graceSeconds: 0 }))).toBe("CONFLICT:public_client");
  });

  it("refuses bad registrations with BAD_REQUEST and stores nothing", async () => {
    const bad: Array<[unknown, RegExp]> = [
      // The service's rules, with their reasons:
      [{ ...WEB_APP, redirectUris: ["http://billing.example.com/callback"] }, /^BAD_REQUEST:invalid_redirect_uri$/],
      [{ ...WEB_APP, redirectUris: ["http://localhost:8080/cb"] }, /^BAD_REQUEST:invalid_redirect_uri$/],
      [{ ...WEB_APP, redirectUris: ["https://billing.example.com/cb#frag"] }, /^BAD_REQUEST:invalid_redirect_uri$/],
      [{ ...WEB_APP, redirectUris: ["https://BILLING.example.com/cb"] }, /^BAD_REQUEST:invalid_redirect_uri$/],
      [
        { ...WEB_APP, type: "public", redirectUris: [], grantTypes: ["client_credentials"] },
        /^BAD_REQUEST:invalid_client_metadata$/,
      ],
      [{ ...WEB_APP, grantTypes: ["refresh_token"] }, /^BAD_REQUEST:invalid_client_metadata$/],
      [{ ...WEB_APP, redirectUris: [] }, /^BAD_REQUEST:invalid_client_metadata$/],
      // The input schema's limits:
      [{ ...WEB_APP, name: "  " }, /^BAD_REQUEST$/],
      [{ ...WEB_APP, name: "a\u0000b" }, /^BAD_REQUEST$/],
      [{ ...WEB_APP, scopes: [] }, /^BAD_REQUEST$/],
      [{ ...WEB_APP, scopes: ["contacts:delete"] }, /^BAD_REQUEST$/],
      [{ ...WEB_APP, grantTypes: ["implicit"] }, /^BAD_REQUEST$/],
      [{ ...WEB_APP, type: "native" }, /^BAD_REQUEST$/],
      [{ ...WEB_APP, accessTokenTtlSeconds: 3601 }, /^BAD_REQUEST$/],
      [{ ...WEB_APP, accessTokenTtlSeconds: 30 }, /^BAD_REQUEST$/],
      [{ ...WEB_APP, refreshTokenTtlSeconds: 366 * 86_400 }, /^BAD_REQUEST$/],
      [{ ...WEB_APP, redirectUris: [`https://billing.example.com/${"a".repeat(2100)}`] }, /^BAD_REQUEST$/],
      [{ ...WEB_APP, secretHash: "x" }, /^BAD_REQUEST$/],
    ];
    for (const [input, expected] of bad) {
      // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
      expect(await failure(ops().create(input as any)), JSON.stringify(input).slice(0, 120)).toMatch(expected);
    }
    expect(await rt.db.select().from(oauthClients).all()).toHaveLength(0);
    expect(await audits("oauth_client.create")).toHaveLength(0);
    // The loopback exception for native apps is allowed.
    const native = await ops().create({ ...WEB_APP, type: "public", redirectUris: ["http://127.0.0.1:8080/cb"] });
    expect(native.client.redirectUris).toEqual(["http://127.0.0.1:8080/cb"]);
  });

  it("validates ids before looking anything up, and answers NOT_FOUND for a well-formed unknown one", async () => {
    expect(await failure(ops().get({ id: "ocl_short" }))).toBe("BAD_REQUEST");
    expect(await failure(ops().get({ id: newId("token") }))).toBe("BAD_REQUEST");
    expect(await failure(ops().revokeGrant({ grantId: newId("oauthClient") }))).toBe("BAD_REQUEST");
    expect(await failure(ops().get({ id: newId("oauthClient") }))).toBe("NOT_FOUND");
    expect(await failure(ops().delete({ id: newId("oauthClient") }))).toBe("NOT_FOUND");
    expect(await failure(ops().revokeGrant({ grantId: newId("oauthGrant") }))).toBe("NOT_FOUND");
  });

  it("rotates a secret: the new one shown once, the old hash kept valid only for the grace period", async () => {
    const created = await ops().create(WEB_APP);
    const oldHash = hashSecret(created.clientSecret as string);
    rt.clock.advance(1000);
    const rotated = await ops().rotateSecret({ id: created.client.id, graceSeconds: 3600 });
    const newSecret = rotated.clientSecret as string;
    expect(newSecret).toMatch(/^ghs_/);
    expect(newSecret).not.toBe(created.clientSecret);

    const row = await clientRow(created.client.id);
    expect(row?.secretHash).toBe(hashSecret(newSecret));
    expect(row?.previousSecretHash).toBe(oldHash);
    expect(row?.previousSecretExpiresAt?.getTime()).toBe(rt.clock.now().getTime() + HOUR_MS);
    expect(rotated.client).toMatchObject({
      secretDisplay: `ghs_…${newSecret.slice(-4)}`,
      secretRotatedAt: rt.clock.now().toISOString(),
      previousSecretExpiresAt: new Date(rt.clock.now().getTime() + HOUR_MS).toISOString(),
    });
    expect(JSON.stringify(await ops().list())).not.toContain(newSecret);

    // After the grace period the dashboard no longer reports the old secret as live.
    rt.clock.advance(HOUR_MS);
    expect((await ops().get({ id: created.client.id })).previousSecretExpiresAt).toBeNull();

    // Grace 0: the replaced secret stops at once (no previous hash kept at all).
    const again = await ops().rotateSecret({ id: created.client.id, graceSeconds: 0 });
    const after = await clientRow(created.client.id);
    expect(after?.secretHash).toBe(hashSecret(again.clientSecret as string));
    expect(after?.previousSecretHash).toBeNull();
    expect(after?.previousSecretExpiresAt).toBeNull();

    expect(await failure(ops().rotateSecret({ id: created.client.id, graceSeconds: 8 * 86_400 }))).toBe("BAD_REQUEST");
    expect(await failure(ops().rotateSecret({ id: created.client.id, graceSeconds: -1 }))).toBe("BAD_REQUEST");
    const entries = await audits("oauth_client.rotate_secret");
    expect(entries.map((e) => e.targetId)).toEqual([created.client.id, created.client.id]);
    expect(JSON.stringify(entries)).not.toContain(newSecret);
  });

  it("disabling revokes every grant (and they stay revoked when the client is enabled again)", async () => {
    const created = await ops().create(WEB_APP);
    const other = await ops().create({ ...WEB_APP, name: "Other" });
    const g1 = await grant(created.client.id, alice.user.id);
    const g2 = await grant(created.client.id, admin.user.id);
    const untouched = await grant(other.client.id, alice.user.id);
    expect((await ops().get({ id: created.client.id })).activeGrants).toBe(2);

    const disabled = await ops().setDisabled({ id: created.client.id, disabled: true });
    expect(disabled).toMatchObject({ disabledAt: rt.clock.now().toISOString(), activeGrants: 0 });
    const revoked = (id: string) => rt.db.select().from(oauthGrants).where(eq(oauthGrants.id, id)).get();
    for (const id of [g1, g2]) expect(await revoked(id)).toMatchObject({ revokedReason: "client_disabled" });
    expect((await revoked(untouched))?.revokedAt).toBeNull();
    expect((await audits("oauth_client.disable"))[0]).toMatchObject({
      actorId: admin.user.id,
      targetId: created.client.id,
      detail: expect.objectContaining({ grantsRevoked: 2 }),
    });

    const enabled = await ops().setDisabled({ id: created.client.id, disabled: false });
    expect(enabled.disabledAt).toBeNull();
    expect(enabled.activeGrants).toBe(0);
    expect((await revoked(g1))?.revokedAt).not.toBeNull();
    expect(await audits("oauth_client.enable")).toHaveLength(1);
  });

  it("lists a client's live grants with the user's email, and revokes one", async () => {
    const created = await ops().create(WEB_APP);
    const g1 = await grant(created.client.id, alice.user.id);
    rt.clock.advance(1000);
    const g2 = await grant(created.client.id, admin.user.id);
    await grant(created.client.id, alice.user.id, 500); // expires before we look
    rt.clock.advance(600);
    const grants = (await ops().grants({ id: created.client.id })).items;
    expect(grants.map((g) => [g.id, g.userEmail])).toEqual([
      [g2, "root@example.com"],
      [g1, "alice@example.com"],
    ]);
    expect(grants[1]).toMatchObject({ kind: "authorization_code", scopes: ["contacts:read"], userId: alice.user.id });

    expect(await ops().revokeGrant({ grantId: g1 })).toEqual({ id: g1 });
    expect((await ops().grants({ id: created.client.id })).items.map((g) => g.id)).toEqual([g2]);
    expect(await rt.db.select().from(oauthGrants).where(eq(oauthGrants.id, g1)).get()).toMatchObject({
      revokedReason: "revoked",
    });
    // Idempotent, audited once.
    await ops().revokeGrant({ grantId: g1 });
    expect(await audits("oauth.grant_revoke")).toHaveLength(1);
    expect((await audits("oauth.grant_revoke"))[0]).toMatchObject({ actorId: admin.user.id, targetId: g1 });
    expect(await failure(ops().grants({ id: newId("oauthClient") }))).toBe("NOT_FOUND");
  });

  it("deletes a client with its grants and its service account", async () => {
    const machine = await ops().create({
      name: "Nightly export",
      type: "confidential",
      redirectUris: [],
      grantTypes: ["client_credentials"],
      scopes: ["contacts:read"],
    });
    const serviceUserId = machine.client.serviceUserId as string;
    await grant(machine.client.id, serviceUserId);
    expect(await ops().delete({ id: machine.client.id })).toEqual({ id: machine.client.id });
    expect(await clientRow(machine.client.id)).toBeUndefined();
    expect(await rt.db.select().from(oauthGrants).all()).toHaveLength(0);
    expect(await rt.db.select().from(users).where(eq(users.id, serviceUserId)).get()).toBeUndefined();
    expect(await failure(ops().get({ id: machine.client.id }))).toBe("NOT_FOUND");
    expect((await audits("oauth_client.delete"))[0]).toMatchObject({
      actorId: admin.user.id,
      targetId: machine.client.id,
    });
  });

  describe("update", () => {
    it("is FORBIDDEN to a member, and changes nothing", async () => {
      const created = await ops().create(WEB_APP);
      const api = callerFor(rt, alice.principal).admin.oauthClients;
      expect(await codeOf(api.update({ id: created.client.id, name: "Taken over", scopes: ["admin"] }))).toBe(
        "FORBIDDEN",
      );
      expect(await clientRow(created.client.id)).toMatchObject({ name: WEB_APP.name, scopes: ["contacts:read"] });
      expect(await audits("oauth_client.update")).toHaveLength(0);
    });

    it("answers NOT_FOUND for a well-formed unknown id, BAD_REQUEST for a malformed one", async () => {
      expect(await failure(ops().update({ id: newId("oauthClient"), name: "Ghost" }))).toBe("NOT_FOUND");
      expect(await failure(ops().update({ id: newId("token"), name: "Ghost" }))).toBe("BAD_REQUEST");
      expect(await audits("oauth_client.update")).toHaveLength(0);
    });

    it("refuses an invalid redirect URI (or any rule of registration) with BAD_REQUEST and changes nothing", async () => {
      const created = await ops().create(WEB_APP);
      const before = await clientRow(created.client.id);
      const bad: Array<[Record<string, unknown>, string]> = [
        [{ redirectUris: ["http://billing.example.com/callback"] }, "BAD_REQUEST:invalid_redirect_uri"],
        // Fine on its own, refused with the rest: a name change in the same call does not slip through.
        [
          { name: "Renamed", redirectUris: ["https://billing.example.com/cb#frag"] },
          "BAD_REQUEST:invalid_redirect_uri",
        ],
        [{ redirectUris: [] }, "BAD_REQUEST:invalid_client_metadata"],
        [{ grantTypes: ["refresh_token"] }, "BAD_REQUEST:invalid_client_metadata"],
        [{ scopes: [] }, "BAD_REQUEST"],
        [{ accessTokenTtlSeconds: 3601 }, "BAD_REQUEST"],
        [{ secretHash: "x" }, "BAD_REQUEST"],
      ];
      for (const [changes, expected] of bad) {
        // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
        const input = { id: created.client.id, ...changes } as any;
        expect(await failure(ops().update(input)), JSON.stringify(changes)).toBe(expected);
      }
      expect(await clientRow(created.client.id)).toEqual(before);
      expect(await audits("oauth_client.update")).toHaveLength(0);
    });

    it("the type cannot be sent (strict input: BAD_REQUEST), so a client never changes type", async () => {
      const created = await ops().create(WEB_APP);
      for (const type of ["public", "confidential"]) {
        // biome-ignore lint/suspicious/noExplicitAny: a field the input does not have
        const input = { id: created.client.id, type } as any;
        expect(await failure(ops().update(input)), type).toBe("BAD_REQUEST");
      }
      expect(await clientRow(created.client.id)).toMatchObject({
        type: "confidential",
        secretHash: expect.any(String),
      });
      expect(await audits("oauth_client.update")).toHaveLength(0);
    });

    it("changes the scopes and lifetimes, audited once with what changed (lifetimes named so they are not redacted)", async () => {
      const created = await ops().create(WEB_APP);
      rt.clock.advance(1000);
      const updated = await ops().update({
        id: created.client.id,
        scopes: ["contacts:write", "contacts:read"],
        accessTokenTtlSeconds: 300,
        refreshTokenTtlSeconds: 7 * 86_400,
      });
      expect(updated).toMatchObject({
        id: created.client.id,
        name: WEB_APP.name,
        type: "confidential",
        redirectUris: WEB_APP.redirectUris,
        grantTypes: WEB_APP.grantTypes,
        scopes: ["contacts:read", "contacts:write"],
        accessTokenTtlSeconds: 300,
        refreshTokenTtlSeconds: 7 * 86_400,
      });
      expect(await clientRow(created.client.id)).toMatchObject({
        scopes: ["contacts:read", "contacts:write"],
        accessTokenTtlSeconds: 300,
        updatedAt: rt.clock.now(),
      });
      // The secret is untouched by an edit.
      expect((await clientRow(created.client.id))?.secretHash).toBe(hashSecret(created.clientSecret as string));

      const entries = await audits("oauth_client.update");
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actorKind: "user", actorId: admin.user.id, targetId: created.client.id });
      // Only what changed: not the name, redirect URIs or grant types that were left as they were.
      expect(entries[0]?.detail).toEqual({
        changed: {
          scopes: ["contacts:read", "contacts:write"],
          accessLifetimeSeconds: 300,
          refreshLifetimeSeconds: 7 * 86_400,
        },
      });
      expect(JSON.stringify(entries)).not.toContain("[redacted]");
      expect(JSON.stringify(entries)).not.toContain(created.clientSecret);
    });

    it("a no-op update (nothing given, or only what it already is) writes no audit row", async () => {
      const created = await ops().create(WEB_APP);
      const before = await clientRow(created.client.id);
      rt.clock.advance(1000);
      const same = await ops().update({ id: created.client.id });
      expect(same).toMatchObject({ id: created.client.id, name: WEB_APP.name, scopes: WEB_APP.scopes });
      await ops().update({
        id: created.client.id,
        name: ` ${WEB_APP.name} `,
        redirectUris: [...WEB_APP.redirectUris, ...WEB_APP.redirectUris],
        grantTypes: [...WEB_APP.grantTypes],
        scopes: [...WEB_APP.scopes],
        accessTokenTtlSeconds: 600,
      });
      expect(await audits("oauth_client.update")).toHaveLength(0);
      expect(await clientRow(created.client.id)).toEqual(before);
    });

    it("allowing client_credentials on a confidential client gives it its service account (once)", async () => {
      const created = await ops().create(WEB_APP);
      expect(created.client.serviceUserId).toBeNull();
      const updated = await ops().update({
        id: created.client.id,
        grantTypes: ["authorization_code", "refresh_token", "client_credentials"],
      });
      expect(updated.serviceUserId).toEqual(expect.any(String));
      expect((await clientRow(created.client.id))?.serviceUserId).toBe(updated.serviceUserId);
      const account = await rt.db
        .select()
        .from(users)
        .where(eq(users.id, updated.serviceUserId as string))
        .get();
      expect(account).toMatchObject({
        email: `${created.client.id}@clients.invalid`,
        role: "member",
        passwordHash: "",
      });
      expect((await audits("oauth_client.update"))[0]?.detail).toEqual({
        changed: { grantTypes: ["authorization_code", "refresh_token", "client_credentials"] },
      });

      // Taking it away and allowing it again keeps the one account (no second user for the same client).
      await ops().update({ id: created.client.id, grantTypes: ["authorization_code"] });
      const again = await ops().update({
        id: created.client.id,
        grantTypes: ["authorization_code", "client_credentials"],
      });
      expect(again.serviceUserId).toBe(updated.serviceUserId);
      const accounts = await rt.db
        .select()
        .from(users)
        .where(eq(users.email, `${created.client.id}@clients.invalid`))
        .all();
      expect(accounts).toHaveLength(1);

      // A public client has no secret to authenticate client_credentials with.
      const spa = await ops().create({ ...WEB_APP, name: "SPA", type: "public" });
      expect(
        await failure(ops().update({ id: spa.client.id, grantTypes: ["authorization_code", "client_credentials"] })),
      ).toBe("BAD_REQUEST:invalid_client_metadata");
      expect((await clientRow(spa.client.id))?.serviceUserId).toBeNull();
    });
  });

  it("registers each client's access-token signing algorithm: ES256 by default, RS256 when asked, changeable, audited", async () => {
    const plain = await ops().create(WEB_APP);
    expect(plain.client.accessTokenSigningAlg).toBe("ES256");
    expect((await clientRow(plain.client.id))?.accessTokenSigningAlg).toBe("ES256");
    const rsa = await ops().create({ ...WEB_APP, name: "Legacy gateway", accessTokenSigningAlg: "RS256" });
    expect(rsa.client.accessTokenSigningAlg).toBe("RS256");
    expect((await ops().get({ id: rsa.client.id })).accessTokenSigningAlg).toBe("RS256");
    expect((await ops().list()).items.map((c) => [c.name, c.accessTokenSigningAlg]).sort()).toEqual([
      ["Billing dashboard", "ES256"],
      ["Legacy gateway", "RS256"],
    ]);
    // Only the two algorithms we sign with, spelled exactly; nothing is created by a refused request.
    for (const alg of ["HS256", "none", "rs256", "PS256", "ES384", "", 256, null]) {
      expect(await failure(ops().create({ ...WEB_APP, accessTokenSigningAlg: alg } as never))).toMatch(/^BAD_REQUEST/);
      expect(await failure(ops().update({ id: plain.client.id, accessTokenSigningAlg: alg } as never))).toMatch(
        /^BAD_REQUEST/,
      );
    }
    expect((await ops().list()).items).toHaveLength(2);
    expect((await clientRow(plain.client.id))?.accessTokenSigningAlg).toBe("ES256");

    const switched = await ops().update({ id: plain.client.id, accessTokenSigningAlg: "RS256" });
    expect(switched.accessTokenSigningAlg).toBe("RS256");
    expect((await clientRow(plain.client.id))?.accessTokenSigningAlg).toBe("RS256");
    // Other settings are left alone, and an update that leaves the algorithm out keeps it.
    expect(switched.scopes).toEqual(WEB_APP.scopes);
    expect((await ops().update({ id: plain.client.id, name: "Renamed" })).accessTokenSigningAlg).toBe("RS256");
    expect((await audits("oauth_client.create")).map((e) => e.detail?.signingAlg)).toEqual(["ES256", "RS256"]);
    expect((await audits("oauth_client.update")).map((e) => e.detail?.changed)).toEqual([
      { signingAlg: "RS256" },
      { name: "Renamed" },
    ]);
  });

  it("rotates the signing keys on demand (both algorithms, or one) and lists only public facts about the keys", async () => {
    expect((await ops().signingKeys()).items).toEqual([]);
    const first = await ops().rotateSigningKey({});
    expect(first.rotated).toEqual([
      { alg: "ES256", kid: expect.stringMatching(/^sig_/), retired: null },
      { alg: "RS256", kid: expect.stringMatching(/^sig_/), retired: null },
    ]);
    const [es1, rs1] = first.rotated.map((r) => r.kid) as [string, string];
    rt.clock.advance(1000);
    // Only RS256: the ES256 key keeps signing.
    const second = await ops().rotateSigningKey({ alg: "RS256" });
    expect(second.rotated).toEqual([{ alg: "RS256", kid: expect.stringMatching(/^sig_/), retired: rs1 }]);
    const rs2 = second.rotated[0]?.kid as string;
    expect(rs2).not.toBe(rs1);
    // An algorithm we do not sign with is a validation error naming the field, and changes nothing.
    for (const alg of ["HS256", "none", "es256", "PS256", ""]) {
      expect(await failure(ops().rotateSigningKey({ alg } as never))).toMatch(/^BAD_REQUEST/);
    }

    const keys = (await ops().signingKeys()).items;
    expect(keys.map((k) => [k.kid, k.alg])).toEqual([
      [rs2, "RS256"],
      [es1, "ES256"],
      [rs1, "RS256"],
    ]);
    expect(keys[0]).toMatchObject({ alg: "RS256", retiredAt: null, removeAfter: null });
    expect(keys[1]).toMatchObject({ alg: "ES256", retiredAt: null, removeAfter: null });
    expect(keys[2]).toMatchObject({ retiredAt: rt.clock.now().toISOString() });
    expect(Date.parse(keys[2]?.removeAfter as string)).toBeGreaterThan(rt.clock.now().getTime() + HOUR_MS);
    // Nothing of the key material, public or private, leaves through this procedure.
    const stored = await rt.db.select().from(oauthSigningKeys).all();
    expect(stored).toHaveLength(3);
    for (const row of stored) {
      for (const member of [row.publicJwk.x, row.publicJwk.n].filter(Boolean)) {
        expect(JSON.stringify(keys)).not.toContain(member);
      }
      expect(JSON.stringify(keys)).not.toContain(row.privateJwk);
    }
    expect(keys[0]).not.toHaveProperty("jwk");
    expect((await audits("oauth.signing_key_rotate")).map((e) => [e.actorId, e.targetId, e.detail])).toEqual([
      [admin.user.id, es1, { alg: "ES256", retired: null, scheduled: false }],
      [admin.user.id, rs1, { alg: "RS256", retired: null, scheduled: false }],
      [admin.user.id, rs2, { alg: "RS256", retired: rs1, scheduled: false }],
    ]);
  });
});
