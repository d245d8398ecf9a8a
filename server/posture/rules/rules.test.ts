import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { evaluatePosture, POSTURE_RULES } from "../engine";
import type { AuditHeadRecord, PostureFacts } from "../facts";
import type { PostureRule, PostureStatus } from "../types";
import { adminSecondFactor, corsOrigins, tokenHygiene } from "./access";
import { fieldKeyAge, signingKeyAge } from "./keys";
import { auditHeadRecorded, auditRetention, rateLimitStore, recentBackup } from "./operations";
import { dataFolderModes, secretSources } from "./secrets";
import { daysAgo, factsWith, healthyFacts, NOW } from "./testing";
import { httpsAppUrl, trustedProxies } from "./transport";

/**
 * Every rule with pass, warn and fail cases (where the rule has them), each
 * a variant of a deployment that passes everything (testing.ts), so each
 * case changes one fact.
 */

type Case = [label: string, facts: PostureFacts, status: PostureStatus, mentions?: RegExp];

function check(rule: PostureRule<PostureFacts>, cases: Case[]) {
  it.each(cases)("%s", (_label, facts, status, mentions) => {
    const finding = rule.evaluate(facts);
    expect(finding.status).toBe(status);
    if (mentions) expect([finding.summary, ...(finding.details ?? [])].join("\n")).toMatch(mentions);
  });
}

const hoursAgo = (n: number) => new Date(NOW.getTime() - n * 3_600_000);

describe("every rule passes a healthy deployment", () => {
  it.each(POSTURE_RULES.map((r) => [r.id, r] as const))("%s", (_id, rule) => {
    expect(rule.evaluate(healthyFacts())).toMatchObject({ status: "pass" });
  });
});

describe("transport.https", () => {
  check(httpsAppUrl, [
    ["https", factsWith({ appUrl: "https://gatehouse.example.org" }), "pass"],
    ["https on a port", factsWith({ appUrl: "https://gatehouse.example.org:8443" }), "pass"],
    [
      "unset (default localhost)",
      factsWith({ appUrl: "http://localhost:3000", appUrlConfigured: false }),
      "warn",
      /not set/,
    ],
    ["http on localhost", factsWith({ appUrl: "http://localhost:3000" }), "warn", /development/],
    ["http on 127.0.0.1", factsWith({ appUrl: "http://127.0.0.1:3000" }), "warn"],
    ["http on [::1]", factsWith({ appUrl: "http://[::1]:3000" }), "warn"],
    ["http on a public name", factsWith({ appUrl: "http://api.example.com" }), "fail", /unencrypted/],
    ["http on a LAN address", factsWith({ appUrl: "http://192.168.1.20:3000" }), "fail"],
    ["http on a name that only starts like localhost", factsWith({ appUrl: "http://localhost.evil.com" }), "fail"],
  ]);
});

describe("transport.trusted-proxies", () => {
  check(trustedProxies, [
    ["https with one proxy", factsWith({ trustedProxies: ["10.0.0.5"] }), "pass", /10\.0\.0\.5/],
    ["https with a narrow range", factsWith({ trustedProxies: ["10.0.0.0/24", "fd00::/64"] }), "pass"],
    ["http with none (nothing in front)", factsWith({ appUrl: "http://localhost:3000", trustedProxies: [] }), "pass"],
    ["https with none", factsWith({ trustedProxies: [] }), "fail", /TRUSTED_PROXIES is empty/],
    [
      "0.0.0.0/0",
      factsWith({ trustedProxies: ["10.0.0.5", "0.0.0.0/0"] }),
      "fail",
      /0\.0\.0\.0\/0 matches every address/,
    ],
    ["::/0 even over http", factsWith({ appUrl: "http://localhost:3000", trustedProxies: ["::/0"] }), "fail"],
    ["a /8", factsWith({ trustedProxies: ["10.0.0.0/8"] }), "warn", /10\.0\.0\.0\/8 is wider than \/16/],
    ["a /32 of IPv6", factsWith({ trustedProxies: ["2001:db8::/32"] }), "warn", /wider than \/48/],
    [
      "forwarding headers from an untrusted peer, none trusted",
      factsWith({
        appUrl: "http://gatehouse.internal",
        trustedProxies: [],
        forwarding: { peer: "10.1.2.3", headers: ["x-forwarded-for"], lastAt: NOW, count: 12 },
      }),
      "warn",
      /from 10\.1\.2\.3, but TRUSTED_PROXIES is empty[\s\S]*12 requests with x-forwarded-for/,
    ],
    [
      "forwarding headers from a peer missing from the list",
      factsWith({ forwarding: { peer: "10.0.0.6", headers: ["forwarded"], lastAt: NOW, count: 1 } }),
      "warn",
      /10\.0\.0\.6, which is not in TRUSTED_PROXIES/,
    ],
    [
      "https with none fails even when requests were seen",
      factsWith({
        trustedProxies: [],
        forwarding: { peer: "10.1.2.3", headers: ["x-forwarded-proto"], lastAt: NOW, count: 1 },
      }),
      "fail",
    ],
    [
      "no request seen from the command line",
      factsWith({ forwarding: "unknown" }),
      "pass",
      /command line sees no requests/,
    ],
  ]);
});

describe("secrets.source", () => {
  const secrets = healthyFacts().secrets;
  check(secretSources, [
    ["secrets.json 0600", healthyFacts(), "pass", /mode 600/],
    ["secrets.json 0400", factsWith({ secrets: { secretsFile: { path: "/s/secrets.json", mode: 0o400 } } }), "pass"],
    [
      "everything from the environment",
      factsWith({ secrets: { ...secrets, authSecretFrom: "env", encryptionKeysFrom: "env", secretsFile: null } }),
      "pass",
      /AUTH_SECRET.*ENCRYPTION_KEYS/,
    ],
    ["ADMIN_PASSWORD left set", factsWith({ secrets: { adminPasswordInEnv: true } }), "warn", /ADMIN_PASSWORD/],
    ["file not generated yet", factsWith({ secrets: { secretsFile: null } }), "warn", /first start/],
    [
      "secrets.json 0644",
      factsWith({ secrets: { secretsFile: { path: "/s/secrets.json", mode: 0o644 } } }),
      "fail",
      /mode 644/,
    ],
    [
      "secrets.json 0640 (group)",
      factsWith({ secrets: { secretsFile: { path: "/s/secrets.json", mode: 0o640 } } }),
      "fail",
    ],
    [
      "a loose file fails even when the env holds the keys",
      factsWith({
        secrets: {
          authSecretFrom: "env",
          encryptionKeysFrom: "env",
          secretsFile: { path: "/s/secrets.json", mode: 0o604 },
        },
      }),
      "fail",
    ],
  ]);
});

describe("secrets.data-folder", () => {
  const files = healthyFacts().dataDir.files;
  const loose = [...files, { name: "gatehouse.db-shm", mode: 0o644 }];
  check(dataFolderModes, [
    ["0700 with 0600 files", healthyFacts(), "pass", /mode 700/],
    ["0700 with no files yet", factsWith({ dataDir: { files: [] } }), "pass"],
    ["missing folder", factsWith({ dataDir: { mode: null, files: [] } }), "warn", /does not exist/],
    ["0711: others may enter", factsWith({ dataDir: { mode: 0o711 } }), "warn", /enter it/],
    ["0744: others may list", factsWith({ dataDir: { mode: 0o744 } }), "warn", /list it/],
    ["0700 with a 0644 file", factsWith({ dataDir: { files: loose } }), "warn", /gatehouse\.db-shm has mode 644/],
    ["0755 with a 0644 file", factsWith({ dataDir: { mode: 0o755, files: loose } }), "fail", /gatehouse\.db-shm/],
    [
      "0750 with a group-readable file",
      factsWith({ dataDir: { mode: 0o750, files: [{ name: "secrets.json", mode: 0o640 }] } }),
      "fail",
    ],
    [
      "0701 with a group-only file is not reachable by the group",
      factsWith({ dataDir: { mode: 0o701, files: [{ name: "secrets.json", mode: 0o640 }] } }),
      "warn",
    ],
    ["0777", factsWith({ dataDir: { mode: 0o777 } }), "fail", /replace/],
    ["0730: the group may write", factsWith({ dataDir: { mode: 0o730 } }), "fail"],
  ]);
});

describe("keys.field-rotation", () => {
  const key = (createdAt: Date | null, id = "k2") => ({ fieldKeys: [{ id, active: true, createdAt }] });
  check(fieldKeyAge, [
    ["40 days", healthyFacts(), "pass", /40 days/],
    ["364 days", factsWith(key(daysAgo(364))), "pass"],
    [
      "only the active key counts",
      factsWith({
        fieldKeys: [
          { id: "k1", active: false, createdAt: daysAgo(900) },
          { id: "k2", active: true, createdAt: daysAgo(5) },
        ],
      }),
      "pass",
    ],
    ["365 days", factsWith(key(daysAgo(365))), "warn", /rotation is due/],
    ["700 days", factsWith(key(daysAgo(700))), "warn"],
    ["unknown age", factsWith(key(null)), "warn", /unknown/],
    ["730 days", factsWith(key(daysAgo(730))), "fail", /twice/],
    ["no active key", factsWith({ fieldKeys: [{ id: "k1", active: false, createdAt: daysAgo(1) }] }), "fail"],
  ]);
});

describe("keys.signing-rotation", () => {
  check(signingKeyAge, [
    ["3 days", healthyFacts(), "pass"],
    ["no key yet", factsWith({ signingKeys: [] }), "pass", /first access token/],
    ["29 days", factsWith({ signingKeys: [{ kid: "a", alg: "RS256", createdAt: daysAgo(29) }] }), "pass"],
    [
      "30 days",
      factsWith({ signingKeys: [{ kid: "a", alg: "ES256", createdAt: daysAgo(30) }] }),
      "warn",
      /ES256 key a is 30 days old/,
    ],
    [
      "one of two algorithms stale",
      factsWith({
        signingKeys: [
          { kid: "a", alg: "ES256", createdAt: daysAgo(2) },
          { kid: "b", alg: "RS256", createdAt: daysAgo(90) },
        ],
      }),
      "warn",
      /^1 signing key is/,
    ],
  ]);
});

describe("access.admin-second-factor", () => {
  check(adminSecondFactor, [
    ["all enrolled, required", healthyFacts(), "pass"],
    [
      "all enrolled, optional",
      factsWith({ admins: { twoFactorPolicy: "optional", withoutSecondFactor: [] } }),
      "warn",
      /optional/,
    ],
    [
      "one missing, required",
      factsWith({ admins: { twoFactorPolicy: "required", withoutSecondFactor: ["ada@example.com"] } }),
      "warn",
      /ada@example\.com/,
    ],
    [
      "two missing, optional",
      factsWith({ admins: { twoFactorPolicy: "optional", withoutSecondFactor: ["a@example.com", "b@example.com"] } }),
      "fail",
      /2 admins sign in with a password only/,
    ],
  ]);
});

describe("access.tokens", () => {
  const token = healthyFacts().tokens[0] as PostureFacts["tokens"][number];
  check(tokenHygiene, [
    ["expiring and used", healthyFacts(), "pass"],
    ["no tokens", factsWith({ tokens: [] }), "pass", /No live/],
    [
      "used 89 days ago",
      factsWith({ tokens: [{ ...token, createdAt: daysAgo(200), lastUsedAt: daysAgo(89) }] }),
      "pass",
    ],
    ["never expires", factsWith({ tokens: [{ ...token, expiresAt: null }] }), "warn", /1 never expire/],
    [
      "unused 91 days",
      factsWith({ tokens: [{ ...token, createdAt: daysAgo(200), lastUsedAt: daysAgo(91) }] }),
      "warn",
      /last used 91 days ago/,
    ],
    [
      "never used, made 100 days ago",
      factsWith({ tokens: [{ ...token, createdAt: daysAgo(100), lastUsedAt: null }] }),
      "warn",
      /never used/,
    ],
    [
      "never used, made yesterday",
      factsWith({ tokens: [{ ...token, createdAt: daysAgo(1), lastUsedAt: null }] }),
      "pass",
    ],
    [
      "admin scope, never expires",
      factsWith({ tokens: [{ ...token, admin: true, expiresAt: null }] }),
      "fail",
      /admin-scoped token never expires/,
    ],
    ["admin scope with expiry", factsWith({ tokens: [{ ...token, admin: true }] }), "pass"],
  ]);
});

describe("access.cors", () => {
  check(corsOrigins, [
    ["https without credentials", healthyFacts(), "pass"],
    ["none", factsWith({ cors: [] }), "pass", /No cross-origin/],
    [
      "https with credentials",
      factsWith({ cors: [{ origin: "https://app.example.com", allowCredentials: true }] }),
      "warn",
      /cookies/,
    ],
    [
      "localhost with credentials",
      factsWith({ cors: [{ origin: "http://localhost:5173", allowCredentials: true }] }),
      "warn",
    ],
    ["wildcard", factsWith({ cors: [{ origin: "*", allowCredentials: false }] }), "warn", /every website/],
    [
      "http with credentials",
      factsWith({ cors: [{ origin: "http://app.example.com", allowCredentials: true }] }),
      "fail",
      /http:\/\/app\.example\.com \(with credentials\)/,
    ],
    [
      "wildcard with credentials (a tampered table)",
      factsWith({ cors: [{ origin: "*", allowCredentials: true }] }),
      "fail",
    ],
  ]);
});

describe("operations.rate-limit-store", () => {
  check(rateLimitStore, [
    ["embedded, several workers", healthyFacts(), "pass", /2 worker processes/],
    [
      "no Redis on PostgreSQL: counted in the shared database",
      factsWith({ rateLimit: { store: "embedded", storeUrl: null, workers: 2, onPostgres: true } }),
      "pass",
      /PostgreSQL database, shared by every instance/,
    ],
    [
      "redis over TLS",
      factsWith({ rateLimit: { store: "redis", storeUrl: "rediss://cache.internal", workers: 2 } }),
      "pass",
    ],
    [
      "redis on loopback",
      factsWith({ rateLimit: { store: "redis", storeUrl: "redis://127.0.0.1", workers: 2 } }),
      "pass",
    ],
    [
      "upstash over https",
      factsWith({ rateLimit: { store: "upstash", storeUrl: "https://eu1.upstash.io", workers: 1 } }),
      "pass",
    ],
    [
      "redis without TLS",
      factsWith({ rateLimit: { store: "redis", storeUrl: "redis://cache.internal", workers: 2 } }),
      "warn",
      /without TLS/,
    ],
    [
      "upstash over http",
      factsWith({ rateLimit: { store: "upstash", storeUrl: "http://eu1.upstash.io", workers: 1 } }),
      "fail",
      /plain HTTP/,
    ],
  ]);
});

describe("operations.audit-retention", () => {
  check(auditRetention, [
    ["365 days", healthyFacts(), "pass"],
    ["ten years", factsWith({ audit: { retentionDays: 3650 } }), "pass"],
    ["empty log", factsWith({ audit: { oldestAt: null, lastPruneAt: null } }), "pass"],
    ["180 days", factsWith({ audit: { retentionDays: 180, oldestAt: daysAgo(100) } }), "warn", /180/],
    [
      "pruning not running",
      factsWith({ audit: { oldestAt: daysAgo(400), lastPruneAt: null } }),
      "warn",
      /never pruned/,
    ],
    ["7 days", factsWith({ audit: { retentionDays: 7, oldestAt: daysAgo(6) } }), "fail"],
    ["29 days", factsWith({ audit: { retentionDays: 29, oldestAt: daysAgo(6) } }), "fail"],
  ]);
});

describe("operations.backups", () => {
  check(recentBackup, [
    ["3 hours ago", healthyFacts(), "pass", /gatehouse-2026-12-01/],
    ["25 hours ago", factsWith({ backup: { lastAt: hoursAgo(25) } }), "pass"],
    ["never", factsWith({ backup: { lastAt: null, folder: null } }), "warn", /No backup/],
    ["on PostgreSQL", factsWith({ backup: { lastAt: null, folder: null, onPostgres: true } }), "warn", /pg_dump/],
    ["30 hours ago", factsWith({ backup: { lastAt: hoursAgo(30) } }), "warn", /30 hours/],
    ["6 days ago", factsWith({ backup: { lastAt: daysAgo(6) } }), "warn"],
    ["8 days ago", factsWith({ backup: { lastAt: daysAgo(8) } }), "fail", /8 days old/],
  ]);
});

describe("operations.audit-head", () => {
  const recorded = healthyFacts().auditHead as Extract<AuditHeadRecord, { state: "recorded" }>;
  check(auditHeadRecorded, [
    ["matches, recent, elsewhere", healthyFacts(), "pass"],
    ["not configured", factsWith({ auditHead: { state: "not_configured" } }), "warn", /not set/],
    ["older than two days", factsWith({ auditHead: { ...recorded, recordedAt: daysAgo(5) } }), "warn", /5 days old/],
    [
      "inside the data folder",
      factsWith({ auditHead: { ...recorded, insideDataDir: true } }),
      "warn",
      /inside the data folder/,
    ],
    [
      "pruned since",
      factsWith({ auditHead: { ...recorded, seq: 5, storedHash: null, oldestSeq: 40 } }),
      "warn",
      /pruned/,
    ],
    [
      "file missing",
      factsWith({ auditHead: { state: "missing", file: "/mnt/a.json", insideDataDir: false } }),
      "fail",
      /does not exist/,
    ],
    [
      "file garbage",
      factsWith({ auditHead: { state: "unreadable", file: "/mnt/a.json", insideDataDir: false, why: "not JSON" } }),
      "fail",
      /not JSON/,
    ],
    ["hash differs", factsWith({ auditHead: { ...recorded, storedHash: "b".repeat(64) } }), "fail", /rewritten/],
    [
      "entry deleted",
      factsWith({ auditHead: { ...recorded, storedHash: null, oldestSeq: 1 } }),
      "fail",
      /missing from the database/,
    ],
    ["log emptied", factsWith({ auditHead: { ...recorded, storedHash: null, oldestSeq: null } }), "fail"],
    [
      "a rewrite outranks staleness",
      factsWith({
        auditHead: { ...recorded, storedHash: "c".repeat(64), recordedAt: daysAgo(30), insideDataDir: true },
      }),
      "fail",
    ],
  ]);
});

describe("the engine", () => {
  it("counts verdicts, takes the worst as overall, and keeps the rules' order and texts", () => {
    const report = evaluatePosture(
      factsWith({ appUrl: "http://api.example.com", backup: { lastAt: null, folder: null } }),
    );
    expect(report.results.map((r) => r.id)).toEqual(POSTURE_RULES.map((r) => r.id));
    expect(report.counts).toEqual({ pass: POSTURE_RULES.length - 2, warn: 1, fail: 1 });
    expect(report.overall).toBe("fail");
    const https = report.results.find((r) => r.id === "transport.https");
    expect(https?.fix).toBe(httpsAppUrl.fix);
    expect(https?.meaning).toBe(httpsAppUrl.meaning);
    expect(evaluatePosture(healthyFacts()).overall).toBe("pass");
    expect(evaluatePosture(factsWith({ backup: { lastAt: null } })).overall).toBe("warn");
  });

  it("reports a rule that throws as a fail naming it, and still runs the others", () => {
    const broken: PostureRule<PostureFacts> = {
      ...httpsAppUrl,
      id: "test.broken",
      evaluate: () => {
        throw new TypeError("boom at /secret/path");
      },
    };
    const report = evaluatePosture(healthyFacts(), [broken, recentBackup]);
    expect(report.results[0]).toMatchObject({ id: "test.broken", status: "fail" });
    expect(report.results[0]?.summary).not.toContain("/secret/path");
    expect(report.results[1]).toMatchObject({ id: "operations.backups", status: "pass" });
  });

  it("has unique ids, and a title, meaning and fix for every rule", () => {
    const ids = POSTURE_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of POSTURE_RULES) {
      expect(rule.id).toMatch(new RegExp(`^${rule.group}\\.[a-z0-9-]+$`));
      expect(rule.meaning.length).toBeGreaterThan(40);
      expect(rule.fix.length).toBeGreaterThan(20);
    }
  });
});

describe("docs/posture.md", () => {
  it("describes every rule by its id", () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, "../../../docs/posture.md"), "utf8");
    for (const rule of POSTURE_RULES) expect(doc, rule.id).toContain(`**\`${rule.id}\``);
  });
});
