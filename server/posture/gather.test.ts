import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { apiTokens, encryptionKeys } from "@/db/schema";
import { DEFAULT_OBSERVABILITY } from "../config";
import { newKeySetEntry } from "../crypto/key-set";
import { staticKeyring } from "../crypto/keyring";
import { DEFAULT_RATE_LIMIT_CONFIG } from "../ratelimit/config";
import { SYSTEM_ACTOR } from "../services/audit";
import type { BackupManifest } from "../services/backup";
import { recordBackupTaken } from "../services/backup-record";
import { addCorsOrigin } from "../services/cors-origins";
import { createToken, revokeToken } from "../services/tokens";
import { setUserDisabled } from "../services/users";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { currentAuditHead, writeAuditHeadFile } from "./audit-head";
import { gatherPostureFacts, type PostureSources } from "./gather";

/**
 * The facts as gathered from a real database (in memory, real migrations)
 * and a real folder: which tokens count as live, where a key's age comes
 * from, the backup and audit-head records, and that no secret value (a
 * Redis password) is carried into the facts.
 */

const DAY = 86_400_000;
const client = { ip: null, userAgent: null, requestId: "t" };
let rt: TestRuntime;
let dir: string;

const svc = () => ({ db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client });
const sources = (over: Partial<PostureSources> = {}): PostureSources => ({
  db: rt.db,
  clock: rt.clock,
  config: rt.config,
  keyring: rt.keyring,
  env: {},
  ...over,
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-posture-gather-"));
  fs.mkdirSync(path.join(dir, "data"), { mode: 0o700 });
  rt = createTestRuntime({ dataDir: path.join(dir, "data") });
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("gatherPostureFacts", () => {
  it("counts live tokens only: not revoked, not expired, owner enabled; marks admin scope and no expiry", async () => {
    const admin = await seedUser(rt, "ops@example.com", "admin");
    const member = await seedUser(rt, "member@example.com", "member");
    const forever = await createToken(
      svc(),
      admin.user.id,
      { name: "forever", scopes: ["admin"], expiresInMs: null },
      { policy: { defaultTtlMs: DAY, maxTtlMs: 365 * DAY, allowNoExpiry: true } },
    );
    const revoked = await createToken(svc(), admin.user.id, { name: "revoked", scopes: ["contacts:read"] });
    await revokeToken(svc(), revoked.id);
    const expired = await createToken(svc(), admin.user.id, {
      name: "expired",
      scopes: ["contacts:read"],
      expiresInMs: DAY,
    });
    await createToken(svc(), member.user.id, { name: "disabled owner", scopes: ["contacts:read"] });
    await setUserDisabled(svc(), member.user.id, true);
    rt.clock.set(rt.clock.now().getTime() + 2 * DAY);

    const facts = await gatherPostureFacts(sources());
    expect(facts.tokens.map((t) => t.name)).toEqual(["forever"]);
    expect(facts.tokens[0]).toMatchObject({
      id: forever.id,
      admin: true,
      expiresAt: null,
      ownerEmail: "ops@example.com",
    });
    expect((await rt.db.select().from(apiTokens).where(eq(apiTokens.id, expired.id)).get())?.revokedAt).toBeNull();
  });

  it("dates a key from ENCRYPTION_KEYS by when the database first met it, and one from secrets.json by its own date", async () => {
    const env = staticKeyring(
      { activeKeyId: "k7", keys: [{ id: "k7", key: newKeySetEntry("k7", new Date()).key, createdAt: null }] },
      "env",
    );
    const firstSeen = new Date(Date.UTC(2025, 5, 1));
    await rt.db
      .insert(encryptionKeys)
      .values({ keyId: "k7", fingerprint: "f".repeat(16), createdAt: firstSeen })
      .run();
    expect((await gatherPostureFacts(sources({ keyring: env }))).fieldKeys).toEqual([
      { id: "k7", active: true, createdAt: firstSeen },
    ]);

    const file = staticKeyring(
      { activeKeyId: "k1", keys: [newKeySetEntry("k1", new Date(Date.UTC(2024, 0, 2)))] },
      "memory",
    );
    expect((await gatherPostureFacts(sources({ keyring: file }))).fieldKeys[0]?.createdAt?.toISOString()).toBe(
      "2024-01-02T00:00:00.000Z",
    );
    expect((await gatherPostureFacts(sources({ keyring: null }))).fieldKeys).toEqual([]);
  });

  it("reads the environment for presence only, the folder's and files' modes, CORS origins, and the store without its password", async () => {
    fs.writeFileSync(path.join(rt.config.dataDir, "secrets.json"), "{}", { mode: 0o600 });
    fs.writeFileSync(path.join(rt.config.dataDir, "stray.txt"), "x");
    fs.chmodSync(path.join(rt.config.dataDir, "stray.txt"), 0o644);
    fs.mkdirSync(path.join(rt.config.dataDir, "sub"));
    await addCorsOrigin(svc(), { origin: "https://app.example.com", allowCredentials: true });
    const config = {
      ...rt.config,
      rateLimit: {
        ...DEFAULT_RATE_LIMIT_CONFIG,
        store: { kind: "redis" as const, url: "redis://:hunter2-secret@cache.internal:6380/0" },
      },
    };
    const facts = await gatherPostureFacts(
      sources({
        config,
        env: { AUTH_SECRET: "an-auth-secret-value-0123456789abcdef", ADMIN_PASSWORD: "  ", APP_URL: "" },
      }),
    );
    expect(facts.secrets).toMatchObject({
      authSecretFrom: "env",
      adminPasswordInEnv: false,
      secretsFile: { path: path.join(rt.config.dataDir, "secrets.json"), mode: 0o600 },
    });
    expect(facts.appUrlConfigured).toBe(false);
    expect(facts.dataDir.mode).toBe(0o700);
    expect(facts.dataDir.files).toEqual([
      { name: "secrets.json", mode: 0o600 },
      { name: "stray.txt", mode: 0o644 },
    ]);
    expect(facts.cors).toEqual([{ origin: "https://app.example.com", allowCredentials: true }]);
    expect(facts.rateLimit.storeUrl).toBe("redis://cache.internal");
    const text = JSON.stringify(facts);
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("an-auth-secret-value");
  });

  it("finds the newest recorded backup, and compares the recorded audit head with the database", async () => {
    await seedUser(rt, "someone@example.com");
    expect((await gatherPostureFacts(sources())).backup).toEqual({ lastAt: null, folder: null, onPostgres: false });
    const manifest = {
      createdAt: rt.clock.now().toISOString(),
      database: { bytes: 1, sha256: "ab".repeat(32) },
      keysFrom: "memory",
    };
    await recordBackupTaken(svc(), manifest as unknown as BackupManifest, "/backups/one");
    rt.clock.set(rt.clock.now().getTime() + 3_600_000);
    await recordBackupTaken(svc(), manifest as unknown as BackupManifest, "/backups/two");
    expect((await gatherPostureFacts(sources())).backup).toEqual({
      lastAt: rt.clock.now(),
      folder: "/backups/two",
      onPostgres: false,
    });

    const headFile = path.join(dir, "anchor", "head.json");
    const withHead = { ...rt.config, observability: { ...DEFAULT_OBSERVABILITY, auditHeadFile: headFile } };
    expect((await gatherPostureFacts(sources({ config: withHead }))).auditHead).toEqual({
      state: "missing",
      file: headFile,
      insideDataDir: false,
    });
    const head = await currentAuditHead(rt.db, rt.clock.now());
    if (!head) throw new Error("the log has entries");
    writeAuditHeadFile(headFile, head);
    expect((await gatherPostureFacts(sources({ config: withHead }))).auditHead).toMatchObject({
      state: "recorded",
      seq: head.seq,
      hash: head.hash,
      storedHash: head.hash,
      oldestSeq: 1,
    });

    const inside = path.join(rt.config.dataDir, "head.json");
    fs.writeFileSync(inside, JSON.stringify({ ...head, hash: "XYZ" }));
    const insideConfig = { ...rt.config, observability: { ...DEFAULT_OBSERVABILITY, auditHeadFile: inside } };
    expect((await gatherPostureFacts(sources({ config: insideConfig }))).auditHead).toMatchObject({
      state: "unreadable",
      insideDataDir: true,
      why: expect.stringMatching(/^hash must be 64 lower-case hex/),
    });
  });
});
