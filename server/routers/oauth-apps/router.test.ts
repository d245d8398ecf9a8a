import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, oauthClients, oauthConsents, oauthGrants } from "@/db/schema";
import type { Principal } from "../../auth/principal";
import { newId } from "../../ids";
import { seedGrant } from "../../oauth/testing/testbed";
import { SYSTEM_ACTOR } from "../../services/audit";
import { createClient } from "../../services/oauth-clients";
import { createPendingAuthorization, decideConsent, openConsent } from "../../services/oauth-consent";
import {
  callerFor,
  codeOf,
  createTestRuntime,
  failureOf as failure,
  seedUser,
  type TestRuntime,
} from "../../testing/harness";

describe("oauthApps (a user's authorised applications)", () => {
  let rt: TestRuntime;
  let alice: Awaited<ReturnType<typeof seedUser>>;
  let bob: Awaited<ReturnType<typeof seedUser>>;
  let clientId: string;

  const svc = () => ({
    db: rt.db,
    clock: rt.clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "test" },
  });

  beforeEach(async () => {
    rt = createTestRuntime();
    alice = await seedUser(rt, "alice@example.com");
    bob = await seedUser(rt, "bob@example.com");
    clientId = (
      await createClient(svc(), {
        name: "Billing dashboard",
        type: "public",
        redirectUris: ["https://billing.example.com/callback"],
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["contacts:read", "contacts:write"],
      })
    ).client.id;
  });

  /** The user allows the client on the consent page, through the real consent services. */
  async function consent(userId: string, scopes: Array<"contacts:read" | "contacts:write">) {
    const client = await rt.db.select().from(oauthClients).where(eq(oauthClients.id, clientId)).get();
    if (!client) throw new Error("no client");
    const request = {
      client,
      redirectUri: "https://billing.example.com/callback",
      scopes,
      state: "xyz",
      codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    };
    const requestId = await createPendingAuthorization(svc(), request, userId);
    const view = await openConsent(svc(), requestId, userId);
    if (!view) throw new Error("consent not opened");
    const outcome = await decideConsent(
      { ...svc(), issuer: "http://localhost:3000" },
      { requestId, userId, csrfToken: view.csrfToken, allow: true },
    );
    expect(outcome.kind).toBe("redirect");
  }

  const grant = (userId: string) => seedGrant(rt, { clientId, userId });

  const grantRow = (id: string) => rt.db.select().from(oauthGrants).where(eq(oauthGrants.id, id)).get();

  it("refuses anonymous callers", async () => {
    const anon = callerFor(rt, null);
    expect(await failure(anon.oauthApps.list())).toBe("UNAUTHORIZED:missing_credentials");
    expect(await failure(anon.oauthApps.revoke({ clientId }))).toBe("UNAUTHORIZED:missing_credentials");
  });

  it("is for signed-in sessions only: an API token, even with every scope, gets session_required", async () => {
    await consent(alice.user.id, ["contacts:read"]);
    const token: Principal = {
      kind: "token",
      tokenId: newId("token"),
      userId: alice.user.id,
      email: alice.user.email,
      role: "member",
      scopes: ["contacts:read", "contacts:write", "tokens:read", "tokens:write"],
      mustChangePassword: false,
    };
    const viaToken = callerFor(rt, token);
    expect(await failure(viaToken.oauthApps.list())).toBe("FORBIDDEN:session_required");
    expect(await failure(viaToken.oauthApps.revoke({ clientId }))).toBe("FORBIDDEN:session_required");
    expect(await rt.db.select().from(oauthConsents).all()).toHaveLength(1);
  });

  it("lists the applications the user authorised, with the scopes agreed and live grants", async () => {
    expect(await callerFor(rt, alice.principal).oauthApps.list()).toEqual([]);
    await consent(alice.user.id, ["contacts:read"]);
    rt.clock.advance(1000);
    await consent(alice.user.id, ["contacts:write"]);
    await grant(alice.user.id);
    await grant(alice.user.id);
    await grant(bob.user.id);

    const apps = await callerFor(rt, alice.principal).oauthApps.list();
    expect(apps).toEqual([
      {
        clientId,
        clientName: "Billing dashboard",
        scopes: ["contacts:read", "contacts:write"],
        consentedAt: new Date(rt.clock.now().getTime() - 1000).toISOString(),
        updatedAt: rt.clock.now().toISOString(),
        activeGrants: 2,
      },
    ]);
    // Bob authorised nothing himself: his grant does not make the app his.
    expect(await callerFor(rt, bob.principal).oauthApps.list()).toEqual([]);
  });

  it("revokes: the consent goes, the user's grants are revoked, others' are not, and it is audited", async () => {
    await consent(alice.user.id, ["contacts:read"]);
    await consent(bob.user.id, ["contacts:read"]);
    const mine = await grant(alice.user.id);
    const bobs = await grant(bob.user.id);

    expect(await callerFor(rt, alice.principal).oauthApps.revoke({ clientId })).toEqual({ grantsRevoked: 1 });
    expect(await grantRow(mine)).toMatchObject({ revokedReason: "consent_revoked" });
    expect((await grantRow(bobs))?.revokedAt).toBeNull();
    expect(await callerFor(rt, alice.principal).oauthApps.list()).toEqual([]);
    expect((await callerFor(rt, bob.principal).oauthApps.list()).map((a) => a.clientId)).toEqual([clientId]);

    const entries = await rt.db.select().from(auditLog).where(eq(auditLog.action, "oauth.consent_revoke")).all();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actorKind: "user",
      actorId: alice.user.id,
      targetId: clientId,
      detail: expect.objectContaining({ userId: alice.user.id, grantsRevoked: 1 }),
    });
    // Revoking again: there is nothing of hers left to revoke.
    expect(await failure(callerFor(rt, alice.principal).oauthApps.revoke({ clientId }))).toBe("NOT_FOUND");
  });

  it("cannot revoke another user's application: NOT_FOUND, and nothing changes", async () => {
    await consent(bob.user.id, ["contacts:read"]);
    const bobs = await grant(bob.user.id);
    expect(await failure(callerFor(rt, alice.principal).oauthApps.revoke({ clientId }))).toBe("NOT_FOUND");
    expect((await grantRow(bobs))?.revokedAt).toBeNull();
    expect(await rt.db.select().from(oauthConsents).where(eq(oauthConsents.userId, bob.user.id)).all()).toHaveLength(1);
    expect(await rt.db.select().from(auditLog).where(eq(auditLog.action, "oauth.consent_revoke")).all()).toHaveLength(
      0,
    );
  });

  it("validates the client id before any lookup", async () => {
    const api = callerFor(rt, alice.principal).oauthApps;
    expect(await codeOf(api.revoke({ clientId: "ocl_nope" }))).toBe("BAD_REQUEST");
    expect(await codeOf(api.revoke({ clientId: newId("oauthGrant") }))).toBe("BAD_REQUEST");
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    expect(await codeOf(api.revoke({ clientId, userId: bob.user.id } as any))).toBe("BAD_REQUEST");
    expect(await codeOf(api.revoke({ clientId: newId("oauthClient") }))).toBe("NOT_FOUND");
  });
});
