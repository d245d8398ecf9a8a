import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { oauthClients } from "@/db/schema";
import { hashSecret } from "../oauth/credentials";
import { issueClientCredentials, liveAccessToken } from "../services/oauth-tokens";
import { type ProcessRun, runProcess } from "../testing/run-process";

/**
 * `oauth-client …` and `oauth-keys …`, run as an operator would: the real CLI
 * as a child process against a fresh data folder. Runs that do not depend on
 * each other go in parallel (each spawn costs about a second).
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const SLOW = 60_000;
const CLIENT_ID = /^ocl_[0-9a-z]{20}$/;

let dataDir: string;
const runs: ProcessRun[] = [];
/** Every client secret the CLI printed: none may be found anywhere but in the output that printed it. */
const secrets: string[] = [];

function gatehouse(...args: string[]): Promise<ProcessRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent" };
  for (const key of ["ADMIN_EMAIL", "ADMIN_PASSWORD", "APP_URL", "AUTH_SECRET", "ENCRYPTION_KEYS"]) delete env[key];
  return runProcess(TSX, ["server/cli/index.ts", ...args], { cwd: ROOT, env }).then((run) => {
    runs.push(run);
    return run;
  });
}

async function json<T>(...args: string[]): Promise<T> {
  const run = await gatehouse("--json", ...args);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

/** A failure is one line on stderr naming the command, nothing on stdout, no stack trace. */
function expectOneLineFailure(run: ProcessRun, command: string): string {
  expect(run.code).not.toBe(0);
  expect(run.stdout).toBe("");
  const lines = run.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]?.startsWith(`gatehouse: ${command}: `)).toBe(true);
  expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  return lines[0] as string;
}

async function withDb<T>(fn: (db: ReturnType<typeof openDatabase>) => T): Promise<Awaited<T>> {
  const db = openDatabase(path.join(dataDir, "gatehouse.db"));
  try {
    return await fn(db);
  } finally {
    sqliteOf(db).close();
  }
}

interface Created {
  client_id: string;
  client_secret: string | null;
  name: string;
  type: string;
  redirect_uris: string[];
  grant_types: string[];
  scopes: string[];
  access_token_ttl_seconds: number;
  refresh_token_ttl_seconds: number;
  access_token_signing_alg: string;
}

interface Listed {
  clients: {
    id: string;
    name: string;
    disabledAt: string | null;
    activeGrants: number;
    secretDisplay: string | null;
  }[];
  total: number;
}

let web: Created;
let mobile: Created;
let service: Created;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-cli-oauth-"));
});

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("gatehouse oauth-client / oauth-keys", () => {
  it(
    "creates clients, printing the secret once (confidential only) and never listing it",
    async () => {
      // The first run creates the database; the others run in parallel once it exists.
      web = await json<Created>(
        "oauth-client",
        "create",
        "--name",
        "Web app",
        "--type",
        "confidential",
        "--redirect-uri",
        "https://app.example.com/callback",
        "--redirect-uri",
        "http://127.0.0.1:8400/cb",
        "--grants",
        "authorization_code,refresh_token",
        "--scopes",
        "contacts:read,contacts:write",
        "--access-ttl",
        "5m",
        "--refresh-ttl",
        "7d",
      );
      const [publicClient, serviceText] = await Promise.all([
        json<Created>(
          "oauth-client",
          "create",
          "--name",
          "Mobile",
          "--type",
          "public",
          "--redirect-uri",
          "https://app.example.com/mobile",
          "--grants",
          "authorization_code",
          "--scopes",
          "contacts:read",
          "--signing-alg",
          "RS256",
        ),
        gatehouse(
          "oauth-client",
          "create",
          "--name",
          "Nightly job",
          "--type",
          "confidential",
          "--grants",
          "client_credentials",
          "--scopes",
          "contacts:read",
        ),
      ]);

      expect(web).toEqual({
        client_id: expect.stringMatching(CLIENT_ID),
        client_secret: expect.stringMatching(/^ghs_[A-Za-z0-9]{40,}$/),
        name: "Web app",
        type: "confidential",
        redirect_uris: ["https://app.example.com/callback", "http://127.0.0.1:8400/cb"],
        grant_types: ["authorization_code", "refresh_token"],
        scopes: ["contacts:read", "contacts:write"],
        access_token_ttl_seconds: 300,
        refresh_token_ttl_seconds: 7 * 86_400,
        access_token_signing_alg: "ES256",
      });
      secrets.push(web.client_secret as string);

      expect(publicClient.client_id).toMatch(CLIENT_ID);
      expect(publicClient.client_secret).toBeNull();
      expect(publicClient.access_token_ttl_seconds).toBe(600);
      expect(publicClient.access_token_signing_alg).toBe("RS256");
      await withDb(async (db) => {
        const row = await db.select().from(oauthClients).where(eq(oauthClients.id, publicClient.client_id)).get();
        expect(row?.accessTokenSigningAlg).toBe("RS256");
      });
      mobile = publicClient;

      // Without --json: the id, the secret, and the warning that it is not shown again.
      expect(serviceText.code, serviceText.stderr).toBe(0);
      const id = /client_id:\s+(ocl_\w+)/.exec(serviceText.stdout)?.[1];
      const secret = /client_secret:\s+(ghs_\w+)/.exec(serviceText.stdout)?.[1];
      expect(id).toMatch(CLIENT_ID);
      expect(secret).toMatch(/^ghs_/);
      expect(serviceText.stdout).toMatch(/shown only this once/);
      secrets.push(secret as string);
      service = { ...web, client_id: id as string, client_secret: secret as string };

      // The printed secret is the one the server will accept: its hash is what is stored.
      await withDb(async (db) => {
        for (const [client, printed] of [
          [web.client_id, web.client_secret],
          [service.client_id, service.client_secret],
        ] as const) {
          const row = await db.select().from(oauthClients).where(eq(oauthClients.id, client)).get();
          expect(row?.secretHash).toBe(hashSecret(printed as string));
        }
      });

      const [listText, listJson] = await Promise.all([
        gatehouse("oauth-client", "list"),
        json<Listed>("oauth-client", "list"),
      ]);
      expect(listText.code).toBe(0);
      for (const client of [web, publicClient, service]) expect(listText.stdout).toContain(client.client_id);
      expect(listText.stdout).toContain(`ghs_…${(web.client_secret as string).slice(-4)}`);
      expect(listJson.total).toBe(3);
      for (const secret of secrets) {
        expect(listText.stdout).not.toContain(secret);
        expect(JSON.stringify(listJson)).not.toContain(secret);
        // Not even the random part of it.
        expect(listText.stdout).not.toContain(secret.slice(4, 20));
      }
    },
    SLOW,
  );

  it(
    "refuses bad input with one line naming the problem, and creates nothing",
    async () => {
      const base = ["oauth-client", "create", "--name", "Bad"];
      const [httpUri, publicCc, unknownScope, unknownGrant, badTtl, twice, unknownId, malformedId, publicRotate] =
        await Promise.all([
          gatehouse(
            ...base,
            "--type",
            "confidential",
            "--redirect-uri",
            "http://example.com/cb",
            "--grants",
            "authorization_code",
            "--scopes",
            "contacts:read",
          ),
          gatehouse(...base, "--type", "public", "--grants", "client_credentials", "--scopes", "contacts:read"),
          gatehouse(
            ...base,
            "--type",
            "confidential",
            "--grants",
            "client_credentials",
            "--scopes",
            "contacts:read,contacts:everything",
          ),
          gatehouse(...base, "--type", "confidential", "--grants", "password", "--scopes", "contacts:read"),
          gatehouse(
            ...base,
            "--type",
            "confidential",
            "--grants",
            "client_credentials",
            "--scopes",
            "contacts:read",
            "--access-ttl",
            "2h",
          ),
          // Only flags declared repeatable may be repeated.
          gatehouse(...base, "--name", "Again", "--type", "public", "--grants", "client_credentials", "--scopes", "x"),
          gatehouse("oauth-client", "disable", "ocl_00000000000000000000"),
          gatehouse("oauth-client", "delete", "tok_00000000000000000000"),
          gatehouse("oauth-client", "rotate-secret", mobile.client_id),
        ]);
      const create = "oauth-client create";
      const httpLine = expectOneLineFailure(httpUri, create);
      expect(httpLine).toContain("Redirect URI");
      expect(httpLine).toContain("must be https");
      expect(expectOneLineFailure(publicCc, create)).toMatch(/public client cannot use client_credentials/);
      expect(unknownScope.code).toBe(64);
      expect(expectOneLineFailure(unknownScope, create)).toMatch(/--scopes: unknown scope/);
      expect(expectOneLineFailure(unknownGrant, create)).toMatch(/--grants: must be a comma-separated list of/);
      expect(expectOneLineFailure(badTtl, create)).toContain("--access-ttl: must be between 1m and 1h");
      expect(expectOneLineFailure(twice, create)).toBe(`gatehouse: ${create}: --name: given more than once`);
      expect(unknownId.code).toBe(1);
      expect(expectOneLineFailure(unknownId, "oauth-client disable")).toMatch(/OAuth client not found/);
      expect(malformedId.code).toBe(64);
      expect(expectOneLineFailure(malformedId, "oauth-client delete")).toMatch(/ID: must be a client id/);
      expect(expectOneLineFailure(publicRotate, "oauth-client rotate-secret")).toMatch(/Public clients have no secret/);

      expect((await json<Listed>("oauth-client", "list")).total).toBe(3);
    },
    SLOW,
  );

  it(
    "lists a client's grants, and disabling it revokes them and shows it as disabled",
    async () => {
      // A client_credentials grant, issued as the token endpoint would.
      const jti = await withDb(async (db) => {
        const row = await db.select().from(oauthClients).where(eq(oauthClients.id, service.client_id)).get();
        if (!row) throw new Error("service client missing");
        const svc = {
          db,
          clock: { now: () => new Date() },
          actor: { kind: "oauth_client" as const, id: row.id },
          client: { ip: null, userAgent: null, requestId: "test" },
          issuer: "http://localhost:3000",
          audience: "http://localhost:3000",
        };
        return (await issueClientCredentials(svc, row, null)).claims.jti;
      });

      const grants = await json<{ grants: { id: string; kind: string; clientId: string }[] }>(
        "oauth-client",
        "grants",
        service.client_id,
      );
      expect(grants.grants).toEqual([
        expect.objectContaining({ kind: "client_credentials", clientId: service.client_id }),
      ]);

      const disabled = await gatehouse("oauth-client", "disable", service.client_id);
      expect(disabled.code, disabled.stderr).toBe(0);
      expect(disabled.stdout).toContain("revoked 1 grant(s)");
      await withDb(async (db) => expect(await liveAccessToken(db, jti, new Date())).toBeNull());

      const [listText, listJson, grantsAfter] = await Promise.all([
        gatehouse("oauth-client", "list"),
        json<Listed>("oauth-client", "list"),
        json<{ grants: unknown[] }>("oauth-client", "grants", service.client_id),
      ]);
      expect(grantsAfter.grants).toEqual([]);
      expect(listJson.clients.find((c) => c.id === service.client_id)).toMatchObject({
        disabledAt: expect.any(String),
        activeGrants: 0,
      });
      const rowOf = (id: string) => listText.stdout.split("\n").find((line) => line.startsWith(id)) ?? "";
      expect(rowOf(service.client_id)).toMatch(/\bdisabled\b/);
      expect(rowOf(web.client_id)).toMatch(/\bactive\b/);

      expect((await gatehouse("oauth-client", "enable", service.client_id)).code).toBe(0);
      const enabled = await gatehouse("oauth-client", "list");
      expect(enabled.stdout.split("\n").find((line) => line.startsWith(service.client_id))).toMatch(/\bactive\b/);
    },
    SLOW,
  );

  it(
    "rotates a secret (printed once, the old one in grace), and deletes a client",
    async () => {
      const rotated = await json<{ client_id: string; client_secret: string; previous_secret_expires_at: string }>(
        "oauth-client",
        "rotate-secret",
        web.client_id,
        "--grace",
        "2h",
      );
      expect(rotated.client_id).toBe(web.client_id);
      expect(rotated.client_secret).toMatch(/^ghs_/);
      expect(rotated.client_secret).not.toBe(web.client_secret);
      secrets.push(rotated.client_secret);
      const graceEnd = Date.parse(rotated.previous_secret_expires_at) - Date.now();
      expect(graceEnd).toBeGreaterThan(2 * 3_600_000 - 120_000);
      expect(graceEnd).toBeLessThanOrEqual(2 * 3_600_000);
      await withDb(async (db) => {
        const row = await db.select().from(oauthClients).where(eq(oauthClients.id, web.client_id)).get();
        expect(row?.secretHash).toBe(hashSecret(rotated.client_secret));
        expect(row?.previousSecretHash).toBe(hashSecret(web.client_secret as string));
      });

      const deleted = await gatehouse("oauth-client", "delete", service.client_id);
      expect(deleted.code, deleted.stderr).toBe(0);
      const after = await json<Listed>("oauth-client", "list");
      expect(after.clients.map((c) => c.id)).not.toContain(service.client_id);
      expect(
        expectOneLineFailure(await gatehouse("oauth-client", "delete", service.client_id), "oauth-client delete"),
      ).toMatch(/not found/);
    },
    SLOW,
  );

  it(
    "update changes only what is given and prints the client; without a change flag it is a usage error",
    async () => {
      const nothing = await gatehouse("oauth-client", "update", web.client_id);
      expect(nothing.code).toBe(64);
      expect(expectOneLineFailure(nothing, "oauth-client update")).toMatch(/nothing to change: give at least one of/);

      const updated = await json<{ client: Listed["clients"][number] & Record<string, unknown>; changed: boolean }>(
        "oauth-client",
        "update",
        web.client_id,
        "--scopes",
        "contacts:read",
      );
      expect(updated.changed).toBe(true);
      expect(updated.client).toMatchObject({
        id: web.client_id,
        name: "Web app",
        type: "confidential",
        scopes: ["contacts:read"],
        // Left as they were:
        redirectUris: web.redirect_uris,
        grantTypes: web.grant_types,
        accessTokenTtlSeconds: 300,
        refreshTokenTtlSeconds: 7 * 86_400,
      });
      await withDb(async (db) => {
        const row = await db.select().from(oauthClients).where(eq(oauthClients.id, web.client_id)).get();
        expect(row?.scopes).toEqual(["contacts:read"]);
        expect(row?.redirectUris).toEqual(web.redirect_uris);
      });
      for (const secret of secrets) expect(JSON.stringify(updated)).not.toContain(secret);
    },
    SLOW,
  );

  it(
    "rotates the signing keys on demand: both algorithms, or one with --alg; the old keys stay listed as retired",
    async () => {
      const empty = await json<{ keys: unknown[] }>("oauth-keys", "list");
      expect(empty.keys).toEqual([]);
      type Rotated = { rotated: { alg: string; kid: string; previous: string | null }[] };
      const first = await json<Rotated>("oauth-keys", "rotate");
      expect(first.rotated.map((r) => [r.alg, r.previous])).toEqual([
        ["ES256", null],
        ["RS256", null],
      ]);
      const second = await json<Rotated>("oauth-keys", "rotate", "--alg", "ES256");
      expect(second.rotated).toEqual([
        { alg: "ES256", kid: expect.stringMatching(/^sig_/), previous: first.rotated[0]?.kid },
      ]);
      const refused = await gatehouse("oauth-keys", "rotate", "--alg", "HS256");
      expect(expectOneLineFailure(refused, "oauth-keys rotate")).toMatch(/--alg.*ES256, RS256/);
      // A client cannot be registered for an algorithm we do not sign with (nothing is created: see the audit test).
      for (const alg of ["HS256", "none", "rs256"]) {
        const bad = await gatehouse(
          ...["oauth-client", "create", "--name", "Bad alg", "--type", "confidential"],
          ...["--grants", "client_credentials", "--scopes", "contacts:read", "--signing-alg", alg],
        );
        expect(expectOneLineFailure(bad, "oauth-client create")).toMatch(/--signing-alg.*ES256, RS256/);
      }

      const { keys } = await json<{
        keys: {
          kid: string;
          alg: string;
          status: string;
          retiredAt: string | null;
          removeAfter: string | null;
          jwk: object;
        }[];
      }>("oauth-keys", "list");
      expect(keys).toHaveLength(3);
      const [es1, rs1] = first.rotated.map((r) => r.kid);
      const es2 = second.rotated[0]?.kid;
      expect(
        keys
          .filter((k) => k.status === "active")
          .map((k) => [k.alg, k.kid])
          .sort(),
      ).toEqual([
        ["ES256", es2],
        ["RS256", rs1],
      ]);
      expect(keys.find((k) => k.status === "retired")).toMatchObject({
        kid: es1,
        alg: "ES256",
        retiredAt: expect.any(String),
        removeAfter: expect.any(String),
      });
      // Only public halves are listed.
      for (const key of keys)
        expect(Object.keys(key.jwk).sort()).toEqual(
          key.alg === "ES256" ? ["alg", "crv", "kid", "kty", "use", "x", "y"] : ["alg", "e", "kid", "kty", "n", "use"],
        );

      const text = await gatehouse("oauth-keys", "list");
      expect(text.stdout).toMatch(new RegExp(`^${es2}\\s+ES256\\s+active`, "m"));
      expect(text.stdout).toMatch(new RegExp(`^${rs1}\\s+RS256\\s+active`, "m"));
      expect(text.stdout).toMatch(new RegExp(`^${es1}\\s+ES256\\s+retired`, "m"));
    },
    SLOW,
  );

  it("audits every change as actor cli, and never stores or leaks a client secret", () => {
    const db = new Database(path.join(dataDir, "gatehouse.db"), { readonly: true });
    const rows = db
      .prepare("select action, actor_kind, target_id from audit_log where actor_kind = 'cli' order by seq")
      .all() as { action: string; actor_kind: string; target_id: string }[];
    const privateKeys = db.prepare("select private_jwk from oauth_signing_keys").all() as { private_jwk: string }[];
    db.close();
    const cli = (action: string) => rows.filter((r) => r.action === action).map((r) => r.target_id);
    expect(cli("oauth_client.create")).toEqual(expect.arrayContaining([web.client_id, service.client_id]));
    expect(cli("oauth_client.create")).toHaveLength(3);
    expect(cli("oauth_client.disable")).toEqual([service.client_id]);
    expect(cli("oauth_client.enable")).toEqual([service.client_id]);
    expect(cli("oauth_client.rotate_secret")).toEqual([web.client_id]);
    expect(cli("oauth_client.delete")).toEqual([service.client_id]);
    // The usage error changed nothing; the update is one entry.
    expect(cli("oauth_client.update")).toEqual([web.client_id]);
    // Both algorithms' first keys, then ES256's second (the refused --alg HS256 made none).
    expect(cli("oauth.signing_key_rotate")).toHaveLength(3);
    // The private half of a signing key is sealed, not stored as a JWK.
    for (const { private_jwk } of privateKeys) expect(private_jwk).not.toContain('"d"');

    // Each secret appears in exactly one output (the run that made it), and in no file of the data folder.
    expect(secrets).toHaveLength(3);
    for (const secret of secrets) {
      expect(runs.filter((r) => r.stdout.includes(secret))).toHaveLength(1);
      expect(runs.some((r) => r.stderr.includes(secret))).toBe(false);
    }
    const files = fs.readdirSync(dataDir);
    expect(files).toContain("gatehouse.db");
    for (const file of files) {
      const bytes = fs.readFileSync(path.join(dataDir, file));
      for (const secret of secrets) expect(bytes.includes(Buffer.from(secret)), file).toBe(false);
    }
  });
});
