import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, corsOrigins } from "@/db/schema";
import { AppError } from "../errors";
import { callerFor, codeOf, createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { actorOf } from "./audit";
import type { ServiceContext } from "./context";
import { addCorsOrigin, listCorsOrigins, removeCorsOrigin, setCorsCredentials } from "./cors-origins";

const client = { ip: "192.0.2.7", userAgent: "vitest", requestId: "req_cors_test" };

async function appErrorOf(run: () => unknown): Promise<AppError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError");
}

describe("CORS origins service", () => {
  let rt: TestRuntime;
  let admin: Awaited<ReturnType<typeof seedUser>>;
  let svc: ServiceContext;
  const audit = (action: string) => rt.db.select().from(auditLog).where(eq(auditLog.action, action)).all();

  beforeEach(async () => {
    rt = createTestRuntime();
    admin = await seedUser(rt, "root@example.com", "admin");
    svc = { db: rt.db, clock: rt.clock, actor: actorOf(admin.principal), client };
  });

  it("adds, toggles and removes an origin, each change audited in its transaction", async () => {
    const added = await addCorsOrigin(svc, { origin: "https://App.Example.com:443", note: " partner portal " });
    expect(added).toMatchObject({
      origin: "https://app.example.com",
      note: "partner portal",
      allowCredentials: false,
      createdBy: admin.user.id,
    });
    expect(added.id).toMatch(/^cor_[0-9a-z]{20}$/);
    expect(await audit("cors.add")).toEqual([
      expect.objectContaining({
        actorId: admin.user.id,
        targetType: "cors_origin",
        targetId: added.id,
        ip: "192.0.2.7",
        detail: { origin: "https://app.example.com", mode: "without_credentials", note: "partner portal" },
      }),
    ]);

    const toggled = await setCorsCredentials(svc, added.id, true);
    expect(toggled.allowCredentials).toBe(true);
    expect(await audit("cors.set_credentials")).toEqual([
      expect.objectContaining({ detail: { origin: "https://app.example.com", mode: "with_credentials" } }),
    ]);
    // Setting what is already set changes nothing and records nothing.
    await setCorsCredentials(svc, added.id, true);
    expect(await audit("cors.set_credentials")).toHaveLength(1);

    await removeCorsOrigin(svc, { origin: "https://app.example.com" });
    expect(await listCorsOrigins(rt.db)).toEqual([]);
    expect(await audit("cors.remove")).toEqual([
      expect.objectContaining({
        targetId: added.id,
        detail: { origin: "https://app.example.com", mode: "with_credentials" },
      }),
    ]);
  });

  it("refuses an invalid origin with the reason, and stores nothing", async () => {
    const error = await appErrorOf(() => addCorsOrigin(svc, { origin: "https://app.example.com/" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.reason).toBe("invalid_origin");
    expect(error.message).toMatch(/trailing slash/);
    expect(await rt.db.select().from(corsOrigins).all()).toEqual([]);
    expect(await audit("cors.add")).toEqual([]);
  });

  it("refuses a duplicate, whatever its spelling", async () => {
    await addCorsOrigin(svc, { origin: "https://app.example.com" });
    const error = await appErrorOf(() => addCorsOrigin(svc, { origin: "HTTPS://APP.EXAMPLE.COM" }));
    expect(error.code).toBe("CONFLICT");
    expect(await listCorsOrigins(rt.db)).toHaveLength(1);
  });

  it("allows * only when confirmed, and never with credentials", async () => {
    expect((await appErrorOf(() => addCorsOrigin(svc, { origin: "*" }))).reason).toBe("wildcard_unconfirmed");
    expect(
      (await appErrorOf(() => addCorsOrigin(svc, { origin: "*", confirmWildcard: true, allowCredentials: true })))
        .reason,
    ).toBe("wildcard_with_credentials");
    const star = await addCorsOrigin(svc, { origin: "*", confirmWildcard: true });
    expect((await appErrorOf(() => setCorsCredentials(svc, star.id, true))).reason).toBe("wildcard_with_credentials");
    expect(await listCorsOrigins(rt.db)).toEqual([expect.objectContaining({ origin: "*", allowCredentials: false })]);
  });

  it("answers an unknown id or origin with not found", async () => {
    expect((await appErrorOf(() => removeCorsOrigin(svc, { origin: "https://nope.example.com" }))).code).toBe(
      "NOT_FOUND",
    );
    expect((await appErrorOf(() => setCorsCredentials(svc, "cor_aaaaaaaaaaaaaaaaaaaa", true))).code).toBe("NOT_FOUND");
  });
});

describe("admin.cors procedures", () => {
  let rt: TestRuntime;

  beforeEach(() => {
    rt = createTestRuntime();
  });

  it("are for administrators only", async () => {
    const member = await seedUser(rt, "mia@example.com", "member");
    expect(await codeOf(callerFor(rt, null).admin.cors.list())).toBe("UNAUTHORIZED");
    expect(await codeOf(callerFor(rt, member.principal).admin.cors.list())).toBe("FORBIDDEN");
    expect(await codeOf(callerFor(rt, member.principal).admin.cors.add({ origin: "https://evil.example" }))).toBe(
      "FORBIDDEN",
    );
    expect(await listCorsOrigins(rt.db)).toEqual([]);
  });

  it("add, list, test, toggle and remove through the router", async () => {
    const admin = await seedUser(rt, "root@example.com", "admin");
    const api = callerFor(rt, admin.principal);
    const added = await api.admin.cors.add({ origin: "http://localhost:3401", note: "e2e" });
    expect((await api.admin.cors.list()).items).toEqual([expect.objectContaining({ id: added.id })]);
    expect(await api.admin.cors.test({ origin: "http://localhost:3401", method: "GET", door: "rest" })).toMatchObject({
      allowed: true,
      credentials: false,
    });
    await api.admin.cors.setCredentials({ id: added.id, allowCredentials: true });
    expect((await api.admin.cors.test({ origin: "http://localhost:3401" })).credentials).toBe(true);
    await api.admin.cors.remove({ id: added.id });
    expect((await api.admin.cors.test({ origin: "http://localhost:3401" })).allowed).toBe(false);
  });

  it("answer bad input with BAD_REQUEST, naming why", async () => {
    const admin = await seedUser(rt, "root@example.com", "admin");
    const api = callerFor(rt, admin.principal);
    const error = await api.admin.cors.add({ origin: "https://*.example.com" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect((error as TRPCError).message).toMatch(/Partial wildcards/);
    expect(await codeOf(api.admin.cors.add({ origin: "x".repeat(5000) }))).toBe("BAD_REQUEST");
    expect(await codeOf(api.admin.cors.remove({ id: "not-an-id" }))).toBe("BAD_REQUEST");
  });
});
