import { and, eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, recoveryCodes, secondFactors } from "@/db/schema";
import { appErrorOf } from "../errors";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { CLI_ACTOR } from "./audit";
import type { ServiceContext } from "./context";
import {
  checkSecondFactorCode,
  confirmTotpEnrolment,
  hasSecondFactor,
  listSecondFactors,
  regenerateRecoveryCodes,
  removeSecondFactor,
  resetSecondFactors,
  startTotpEnrolment,
  usersWithoutSecondFactor,
} from "./second-factors";
import { TOTP_PERIOD_SECONDS, totpCodeAt } from "./second-factors-totp";

const STEP_MS = TOTP_PERIOD_SECONDS * 1000;
const client = { ip: "192.0.2.7", userAgent: "vitest", requestId: "req_second_factors" };

async function errorReason(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    const app = appErrorOf(error);
    return `${app?.code}:${app?.reason ?? ""}`;
  }
  return "OK";
}

describe("second factors service", () => {
  let rt: TestRuntime;
  let svc: ServiceContext;
  let alice: Awaited<ReturnType<typeof seedUser>>;

  beforeEach(async () => {
    rt = createTestRuntime();
    alice = await seedUser(rt, "alice@example.com", "member");
    svc = { db: rt.db, clock: rt.clock, keyring: rt.keyring, actor: { kind: "user", id: alice.user.id }, client };
  });

  async function enrol(userId = alice.user.id, email = "alice@example.com") {
    const started = await startTotpEnrolment(svc, { id: userId, email });
    const { recoveryCodes: codes } = await confirmTotpEnrolment(
      svc,
      userId,
      started.factorId,
      totpCodeAt(started.secret, rt.clock.now().getTime()),
    );
    return { ...started, codes };
  }

  const check = (code: string, userId = alice.user.id) =>
    rt.db.transaction(async (tx) => checkSecondFactorCode(tx, rt.clock, rt.keyring, userId, code));

  it("enrols TOTP: the secret is sealed at rest, the URI and SVG QR code describe it, ten recovery codes come once", async () => {
    const started = await startTotpEnrolment(svc, { id: alice.user.id, email: "alice@example.com" });
    expect(started.uri).toMatch(/^otpauth:\/\/totp\/Gatehouse:alice%40example\.com\?/);
    expect(started.uri).toContain(`secret=${started.secret}`);
    expect(started.qrSvg).toMatch(/^<svg[^>]*>.*<\/svg>\s*$/s);
    expect(started.qrSvg).not.toMatch(/style=/);
    const row = await rt.db.select().from(secondFactors).where(eq(secondFactors.id, started.factorId)).get();
    expect(row?.totpSecret).toMatch(/^v1\.k1\./);
    expect(row?.totpSecret).not.toContain(started.secret);
    // Unconfirmed: counts for nothing.
    expect(await hasSecondFactor(rt.db, alice.user.id)).toBe(false);
    expect((await check(totpCodeAt(started.secret, rt.clock.now().getTime()))).ok).toBe(false);

    expect(await errorReason(() => confirmTotpEnrolment(svc, alice.user.id, started.factorId, "000000"))).toBe(
      "BAD_REQUEST:invalid_code",
    );
    const { recoveryCodes: codes } = await confirmTotpEnrolment(
      svc,
      alice.user.id,
      started.factorId,
      totpCodeAt(started.secret, rt.clock.now().getTime()),
    );
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes ?? []) expect(code).toMatch(/^[2-9a-z]{5}-[2-9a-z]{5}$/);
    const stored = await rt.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, alice.user.id)).all();
    expect(stored).toHaveLength(10);
    for (const row of stored) expect(codes).not.toContain(row.codeHash);
    expect(await hasSecondFactor(rt.db, alice.user.id)).toBe(true);
    expect(await listSecondFactors(rt.db, alice.user.id)).toMatchObject({
      factors: [{ kind: "totp" }],
      recoveryCodesLeft: 10,
    });
    const actions = (await rt.db.select({ action: auditLog.action }).from(auditLog).all()).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(["second_factor.enrol_start", "second_factor.enrol"]));
  });

  it("another user cannot confirm someone's enrolment", async () => {
    const bob = await seedUser(rt, "bob@example.com", "member");
    const started = await startTotpEnrolment(svc, { id: alice.user.id, email: "alice@example.com" });
    const code = totpCodeAt(started.secret, rt.clock.now().getTime());
    expect(await errorReason(() => confirmTotpEnrolment(svc, bob.user.id, started.factorId, code))).toBe("NOT_FOUND:");
  });

  it("TOTP window: the previous and next step are accepted, further away is refused, a code is never accepted twice", async () => {
    const { secret } = await enrol();
    const now = () => rt.clock.now().getTime();
    rt.clock.advance(10 * STEP_MS);
    expect((await check(totpCodeAt(secret, now() - 2 * STEP_MS))).ok).toBe(false);
    expect((await check(totpCodeAt(secret, now() + 2 * STEP_MS))).ok).toBe(false);
    expect((await check(totpCodeAt(secret, now() - 100 * STEP_MS))).ok).toBe(false);
    const previous = totpCodeAt(secret, now() - STEP_MS);
    expect(await check(previous)).toMatchObject({ ok: true, method: "totp" });
    // Replayed: refused, within its window.
    expect((await check(previous)).ok).toBe(false);
    const current = totpCodeAt(secret, now());
    expect((await check(current)).ok).toBe(true);
    expect((await check(current)).ok).toBe(false);
    const next = totpCodeAt(secret, now() + STEP_MS);
    expect((await check(next)).ok).toBe(true);
    // After the step moves on the same code (now "previous") is still refused.
    rt.clock.advance(STEP_MS);
    expect((await check(next)).ok).toBe(false);
    // But older steps than the last accepted one stay refused even inside the window.
    expect((await check(totpCodeAt(secret, now() - STEP_MS))).ok).toBe(false);
    rt.clock.advance(STEP_MS);
    expect((await check(totpCodeAt(secret, now()))).ok).toBe(true);
    expect((await check("12345")).ok).toBe(false);
    expect((await check("abcdef")).ok).toBe(false);
  });

  it("recovery codes work once each, in any case and with or without the dash; a new set retires the old", async () => {
    const { codes } = await enrol();
    const [first, second] = codes ?? [];
    expect(await check((first as string).toUpperCase())).toMatchObject({ ok: true, method: "recovery_code" });
    expect((await check(first as string)).ok).toBe(false);
    expect((await check((second as string).replace("-", " "))).ok).toBe(true);
    expect((await listSecondFactors(rt.db, alice.user.id)).recoveryCodesLeft).toBe(8);
    const fresh = await regenerateRecoveryCodes(svc, alice.user.id);
    expect((await listSecondFactors(rt.db, alice.user.id)).recoveryCodesLeft).toBe(10);
    expect((await check(codes?.[2] as string)).ok).toBe(false);
    expect((await check(fresh[0] as string)).ok).toBe(true);
  });

  it("a recovery code of another user does not work for this one", async () => {
    const bob = await seedUser(rt, "bob@example.com", "member");
    const { codes } = await enrol();
    await enrol(bob.user.id, "bob@example.com");
    expect((await check(codes?.[0] as string, bob.user.id)).ok).toBe(false);
    expect((await check(codes?.[0] as string, alice.user.id)).ok).toBe(true);
  });

  it("recovery codes need a factor; removing the last factor takes them along; another user's factor is not found", async () => {
    expect(await errorReason(() => regenerateRecoveryCodes(svc, alice.user.id))).toBe("CONFLICT:no_second_factor");
    const bob = await seedUser(rt, "bob@example.com", "member");
    const { factorId, codes } = await enrol();
    expect(await errorReason(() => removeSecondFactor(svc, bob.user.id, factorId))).toBe("NOT_FOUND:");
    expect(await removeSecondFactor(svc, alice.user.id, factorId)).toEqual({ remaining: 0 });
    expect(await hasSecondFactor(rt.db, alice.user.id)).toBe(false);
    expect((await check(codes?.[0] as string)).ok).toBe(false);
    expect(await rt.db.select().from(recoveryCodes).all()).toHaveLength(0);
  });

  it("reset removes every factor and code of one user, audited as the CLI", async () => {
    const bob = await seedUser(rt, "bob@example.com", "member");
    await enrol();
    await enrol(bob.user.id, "bob@example.com");
    const result = await resetSecondFactors({ db: rt.db, clock: rt.clock, actor: CLI_ACTOR, client }, alice.user.id);
    expect(result).toEqual({ factorsRemoved: 1, recoveryCodesRemoved: 10 });
    expect(await hasSecondFactor(rt.db, alice.user.id)).toBe(false);
    expect(await hasSecondFactor(rt.db, bob.user.id)).toBe(true);
    const entry = await rt.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "second_factor.reset"), eq(auditLog.targetId, alice.user.id)))
      .get();
    expect(entry?.actorKind).toBe("cli");
  });

  it("usersWithoutSecondFactor: active users of the role with no confirmed factor", async () => {
    const admin = await seedUser(rt, "root@example.com", "admin", undefined, { secondFactor: false });
    const other = await seedUser(rt, "other@example.com", "admin", undefined, { secondFactor: false });
    const enrolled = await seedUser(rt, "enrolled@example.com", "admin"); // seedUser's default for admins
    expect(enrolled.totpSecret).toBeTruthy();
    expect((await usersWithoutSecondFactor(rt.db, { role: "admin" })).map((u) => u.email)).toEqual([
      "other@example.com",
      "root@example.com",
    ]);
    await startTotpEnrolment(svc, { id: other.user.id, email: "other@example.com" }); // unconfirmed: still without
    await enrol(admin.user.id, "root@example.com");
    expect((await usersWithoutSecondFactor(rt.db, { role: "admin" })).map((u) => u.email)).toEqual([
      "other@example.com",
    ]);
    expect((await usersWithoutSecondFactor(rt.db)).map((u) => u.email)).toEqual([
      "alice@example.com",
      "other@example.com",
    ]);
  });
});
