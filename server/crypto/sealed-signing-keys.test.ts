import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sqliteOf } from "@/db";
import { loadOrCreateSecrets } from "../config/secrets";
import { signAccessToken, verifyAccessTokenJwt } from "../oauth/access-token";
import { rotateSigningKey, SigningKeys } from "../oauth/signing-keys";
import { CLI_ACTOR } from "../services/audit";
import type { ServiceContext } from "../services/context";
import { encryptionStatus, REMOVE_GRACE_MS, removeKey, rotateKey } from "../services/encryption-keys";
import { reencryptAll } from "../services/reencryption";
import { createTestRuntime, type TestRuntime } from "../testing/harness";
import { keyIdOf } from "./envelope";
import { fileKeyring } from "./keyring";

/**
 * The OAuth signing keys' private halves are sealed data like any other:
 * they count towards a data key's use (so it cannot be removed under them),
 * `keys reencrypt` moves them to the new key, and tokens still get signed
 * after the old data key is gone.
 */
describe("signing keys under data-key rotation", () => {
  let dataDir: string;
  let rt: TestRuntime;
  let svc: ServiceContext;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-sigkeys-"));
    const base = createTestRuntime({ dataDir });
    rt = { ...base, keyring: fileKeyring(dataDir, loadOrCreateSecrets(dataDir).encryption) };
    svc = {
      db: rt.db,
      clock: rt.clock,
      keyring: rt.keyring,
      actor: CLI_ACTOR,
      client: { ip: null, userAgent: "t", requestId: "t" },
    };
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const storedKeyIds = () =>
    (sqliteOf(rt.db).prepare("select private_jwk from oauth_signing_keys").all() as { private_jwk: string }[]).map(
      (r) => keyIdOf(r.private_jwk),
    );

  it("re-seals the private keys under the new data key and keeps signing", async () => {
    await rotateSigningKey(rt.db, {
      clock: rt.clock,
      keyring: rt.keyring,
      actor: CLI_ACTOR,
      client: svc.client,
      force: true,
    });
    await rotateSigningKey(rt.db, {
      clock: rt.clock,
      keyring: rt.keyring,
      actor: CLI_ACTOR,
      client: svc.client,
      force: true,
    });
    expect(storedKeyIds()).toEqual(["k1", "k1"]);
    expect((await encryptionStatus(svc)).keys).toEqual([expect.objectContaining({ id: "k1", values: 2 })]);

    await rotateKey(svc, { dataDir, envKeys: null });
    expect((await encryptionStatus(svc)).rowsToReencrypt).toBe(2);
    await reencryptAll(svc, { batchSize: 1, pauseMs: 0 });
    expect(storedKeyIds()).toEqual(["k2", "k2"]);
    rt.clock.advance(REMOVE_GRACE_MS);
    expect(await removeKey(svc, { dataDir, envKeys: null, keyId: "k1" })).toMatchObject({ applied: true });

    // A fresh process (no cached key) opens the re-sealed private key and signs; the token verifies.
    const keys = new SigningKeys(rt.db, rt.clock, fileKeyring(dataDir, loadOrCreateSecrets(dataDir).encryption));
    const iat = Math.floor(rt.clock.now().getTime() / 1000);
    const token = await signAccessToken(keys, {
      iss: "http://localhost:3000",
      sub: "usr_x",
      aud: "http://localhost:3000/api",
      client_id: "ocl_x",
      scope: "contacts:read",
      iat,
      exp: iat + 600,
      jti: "oat_x",
    });
    const check = await verifyAccessTokenJwt(token, keys, {
      issuer: "http://localhost:3000",
      audience: "http://localhost:3000/api",
      now: rt.clock.now(),
    });
    expect(check).toMatchObject({ ok: true, claims: { jti: "oat_x" } });
  });
});
