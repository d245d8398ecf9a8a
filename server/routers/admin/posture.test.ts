import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RestServer, serviceContextOf, startRestServer, userWithToken } from "../../http/testing/rest-server";
import { forgetForwarding } from "../../posture/forwarding";
import { addCorsOrigin } from "../../services/cors-origins";
import { callerFor, seedUser } from "../../testing/harness";
import { postureReportSchema } from "./posture";

/**
 * admin.posture.get on both doors: who may read the deployment's posture
 * (anonymous 401, member 403, an admin's token without the admin scope 403,
 * a member's token even with every scope it may hold 403), and that an
 * admin token gets the report built from this server's own database.
 */

let server: RestServer;

beforeAll(async () => {
  server = await startRestServer();
});

afterAll(async () => {
  await server?.close();
});

const get = (token?: string) =>
  fetch(`${server.api}/admin/posture`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("admin.posture.get", () => {
  it("over tRPC: anonymous is UNAUTHORIZED, a member's session FORBIDDEN", async () => {
    const member = await seedUser(server.rt, "posture-member@example.com", "member");
    await expect(callerFor(server.rt, null).admin.posture.get()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(callerFor(server.rt, member.principal).admin.posture.get()).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("over REST: 401 without a credential, 401 for a forged token, 403 without the admin scope", async () => {
    const noCredential = await get();
    expect(noCredential.status).toBe(401);
    expect(noCredential.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await get("gth_forged_0000000000000000000000000000000000000000")).status).toBe(401);

    const admin = await userWithToken(server.rt, "scopeless-admin@example.com", ["contacts:read"], "admin");
    const withoutScope = await get(admin.token);
    expect(withoutScope.status).toBe(403);
    expect(await withoutScope.text()).toMatch(/insufficient_scope|admin/);

    const member = await userWithToken(server.rt, "posture-member-token@example.com", [
      "contacts:read",
      "contacts:write",
    ]);
    expect((await get(member.token)).status).toBe(403);
  });

  it("refuses a context built without a configuration (503), rather than judging a default one", async () => {
    const admin = await seedUser(server.rt, "posture-internal@example.com", "admin");
    await expect(callerFor(server.rt, admin.principal).admin.posture.get()).rejects.toMatchObject({
      code: expect.stringMatching(/SERVICE_UNAVAILABLE|FORBIDDEN/),
    });
  });

  it("tells of forwarding headers that API requests brought from a peer that is not trusted", async () => {
    const admin = await userWithToken(server.rt, "posture-proxy@example.com", ["admin"], "admin");
    const rule = async () =>
      postureReportSchema
        .parse(await (await get(admin.token)).json())
        .results.find((r) => r.id === "transport.trusted-proxies");
    forgetForwarding();
    expect((await rule())?.status).toBe("pass");
    // A request through a proxy the configuration does not know (here: the test itself, from 127.0.0.1).
    await fetch(`${server.api}/contacts`, {
      headers: { authorization: `Bearer ${admin.token}`, "x-forwarded-for": "198.51.100.23" },
    });
    const seen = await rule();
    expect(seen?.status).toBe("warn");
    expect(seen?.summary).toMatch(/from 127\.0\.0\.1, but TRUSTED_PROXIES is empty/);
    expect(JSON.stringify(seen)).not.toContain("198.51.100.23");
    forgetForwarding();
  });

  it("answers an admin token with every rule, judged on this server's data", async () => {
    await addCorsOrigin(serviceContextOf(server.rt), { origin: "http://app.example.com", allowCredentials: true });
    const admin = await userWithToken(server.rt, "posture-admin@example.com", ["admin"], "admin");
    await seedUser(server.rt, "no-factor-admin@example.com", "admin", undefined, { secondFactor: false });
    const answer = await get(admin.token);
    expect(answer.status).toBe(200);
    const report = postureReportSchema.parse(await answer.json());
    expect(report.results.map((r) => r.id)).toEqual(
      expect.arrayContaining(["transport.https", "access.cors", "operations.audit-head", "access.admin-second-factor"]),
    );
    const cors = report.results.find((r) => r.id === "access.cors");
    expect(cors).toMatchObject({ status: "fail" });
    expect(cors?.details).toEqual(["http://app.example.com (with credentials)"]);
    // An admin without a second factor is named by email; the one who asked (seeded with TOTP) is not.
    const twoFactor = report.results.find((r) => r.id === "access.admin-second-factor");
    expect(twoFactor?.details).toContain("no-factor-admin@example.com");
    expect(twoFactor?.details).not.toContain("posture-admin@example.com");
    expect(report.overall).toBe("fail");
    expect(report.counts.fail).toBeGreaterThanOrEqual(1);
    // Nothing secret in the answer: neither the token nor the session secret.
    const text = JSON.stringify(report);
    expect(text).not.toContain(admin.token);
    expect(text).not.toContain(server.rt.config.authSecret);
    // The server's own configuration was judged: its data folder, not a default one.
    expect(report.results.find((r) => r.id === "secrets.data-folder")?.summary).toContain(server.rt.config.dataDir);
  });
});
