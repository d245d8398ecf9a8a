import { DAY_MS, type PostureFacts } from "../facts";

export const NOW = new Date("2026-12-01T12:00:00Z");
export const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY_MS);

/**
 * The facts of a deployment that passes every rule; each rule test changes
 * one part of it, so a failure points at that part and nothing else.
 */
export function healthyFacts(): PostureFacts {
  return {
    now: NOW,
    appUrl: "https://api.example.com",
    appUrlConfigured: true,
    trustedProxies: ["10.0.0.5"],
    forwarding: null,
    secrets: {
      authSecretFrom: "file",
      encryptionKeysFrom: "file",
      adminPasswordInEnv: false,
      secretsFile: { path: "/srv/gatehouse/secrets.json", mode: 0o600 },
    },
    dataDir: {
      path: "/srv/gatehouse",
      mode: 0o700,
      files: [
        { name: "gatehouse.db", mode: 0o600 },
        { name: "gatehouse.db-wal", mode: 0o600 },
        { name: "secrets.json", mode: 0o600 },
      ],
    },
    fieldKeys: [{ id: "k2", active: true, createdAt: daysAgo(40) }],
    signingKeys: [{ kid: "sk_1", alg: "ES256", createdAt: daysAgo(3) }],
    admins: { twoFactorPolicy: "required", withoutSecondFactor: [] },
    tokens: [
      {
        id: "tok_1",
        name: "ci",
        ownerEmail: "ops@example.com",
        admin: false,
        createdAt: daysAgo(10),
        expiresAt: daysAgo(-80),
        lastUsedAt: daysAgo(1),
      },
    ],
    cors: [{ origin: "https://app.example.com", allowCredentials: false }],
    rateLimit: { store: "embedded", storeUrl: null, workers: 2 },
    audit: { retentionDays: 365, oldestAt: daysAgo(300), lastPruneAt: daysAgo(1) },
    backup: { lastAt: new Date(NOW.getTime() - 3 * 3_600_000), folder: "/backups/gatehouse-2026-12-01" },
    auditHead: {
      state: "recorded",
      file: "/mnt/anchor/gatehouse-head.json",
      insideDataDir: false,
      seq: 120,
      hash: "a".repeat(64),
      recordedAt: daysAgo(0.5),
      storedHash: "a".repeat(64),
      oldestSeq: 1,
    },
  };
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? T[K] | DeepPartial<T[K]> : T[K] };

/** healthyFacts() with one section replaced (shallow per section). */
export function factsWith(change: { [K in keyof PostureFacts]?: DeepPartial<PostureFacts[K]> }): PostureFacts {
  const base = healthyFacts();
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(change)) {
    const current = (base as unknown as Record<string, unknown>)[key];
    out[key] =
      value &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      !(value instanceof Date) &&
      current &&
      typeof current === "object" &&
      !Array.isArray(current)
        ? { ...(current as object), ...(value as object) }
        : value;
  }
  return out as unknown as PostureFacts;
}
