import { describe, expect, it } from "vitest";
import { ConfigError } from "../config";
import { createTestRuntime } from "../testing/harness";
import { acceptAuthSecret, assertSharedSecretsFit, secretFingerprint } from "./shared-secrets";

/**
 * Every instance of a database must share AUTH_SECRET (shared-secrets.ts): the first start records its
 * fingerprint; an instance with another secret is refused, with a line naming the variable and neither
 * secret; a deliberate change is accepted by the command, after which the old secret is the one refused.
 */
describe("the shared session secret", () => {
  const first = "first-secret-first-secret-first-secret-01";
  const other = "other-secret-other-secret-other-secret-02";

  it("is recorded at the first start, passes again, and refuses an instance with another", async () => {
    const rt = createTestRuntime();
    await assertSharedSecretsFit(rt.db, rt.clock, { authSecret: first });
    await assertSharedSecretsFit(rt.db, rt.clock, { authSecret: first });
    const refused = await assertSharedSecretsFit(rt.db, rt.clock, { authSecret: other }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toMatch(/^AUTH_SECRET does not match/);
    expect((refused as Error).message).not.toContain(first);
    expect((refused as Error).message).not.toContain(other);
    expect((refused as Error).message).toContain(secretFingerprint(first));
  });

  it("after a deliberate change, takes the new secret and refuses the old one", async () => {
    const rt = createTestRuntime();
    await assertSharedSecretsFit(rt.db, rt.clock, { authSecret: first });
    await acceptAuthSecret(rt.db, rt.clock, other);
    await assertSharedSecretsFit(rt.db, rt.clock, { authSecret: other });
    await expect(assertSharedSecretsFit(rt.db, rt.clock, { authSecret: first })).rejects.toThrow(ConfigError);
  });

  it("has a fingerprint that tells secrets apart and is not the secret", () => {
    expect(secretFingerprint(first)).toMatch(/^[0-9a-f]{16}$/);
    expect(secretFingerprint(first)).not.toBe(secretFingerprint(other));
    expect(first).not.toContain(secretFingerprint(first));
  });
});
