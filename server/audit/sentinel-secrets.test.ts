import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { generateToken } from "../auth/api-token";
import { attemptSecondStep, attemptSignIn, signInWithPassword } from "../auth/sign-in";
import { AUDIT_EXPORT_PATH, handleAuditExport } from "../http/audit-export";
import { handleRest } from "../http/rest-handler";
import { handleTrpc } from "../http/trpc-handler";
import { createLogger, setLogger } from "../logger";
import { flushTraffic } from "../observability/traffic";
import type { Runtime } from "../runtime";
import { SYSTEM_ACTOR } from "../services/audit";
import { createToken } from "../services/tokens";
import { callerFor, createTestRuntime, nextTotpCode, seedUser } from "../testing/harness";
import { flushAggregated } from "./aggregate";

/**
 * The sentinel test: secrets are sent through every credential-bearing path
 * (sign-in right and wrong, a password typed into the email field, password
 * changes and resets, token creation on both doors, token use, revoked,
 * unknown and malformed tokens, a token in the URL, an encrypted field), and
 * then the raw bytes of the SQLite database (main file and WAL), both audit
 * exports and every log line are searched for them: zero hits. It fails the
 * day someone logs a request body, audits an input object or stores a token.
 */
const SENTINEL = `S3NTINEL${Math.random().toString(36).slice(2, 10)}`;
const secret = (what: string) => `${SENTINEL}-${what}-passphrase`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-sentinel-"));
const file = path.join(dir, "gatehouse.db");
const base = createTestRuntime({ databaseFile: file, dataDir: dir });
const rt: Runtime = { ...base, db: openDatabase(file) };

process.env.GATEHOUSE_PEER_STAMP = "sentinel-stamp";
const logLines: string[] = [];
setLogger(createLogger({ level: "trace", destination: { write: (line: string) => logLines.push(line) } }));

afterAll(() => {
  setLogger(undefined);
  sqliteOf(rt.db).close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const secrets: string[] = [];
const remember = (value: string) => {
  secrets.push(value);
  return value;
};

function http(
  door: "rest" | "trpc",
  pathAndQuery: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
) {
  const req = new Request(`http://localhost:3000${pathAndQuery}`, {
    ...init,
    headers: {
      "x-gatehouse-peer": "203.0.113.50",
      "x-gatehouse-peer-stamp": "sentinel-stamp",
      "user-agent": "sentinel-test",
      ...(init.body ? { "content-type": "application/json" } : {}),
      ...init.headers,
    },
  });
  return door === "rest" ? handleRest(req, rt) : handleTrpc(req, rt);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("no secret reaches the database, the audit export or the logs", () => {
  it("after every credential-bearing path, a byte search finds no sentinel", async () => {
    const client = { ip: "203.0.113.50", userAgent: "sentinel-test", requestId: "req_sentinelsignin" };

    // Users with sentinel passwords (CLI-style service call, then through the admin procedure).
    const root = await seedUser(rt, "root@example.com", "admin", remember(secret("root")));
    const admin = callerFor(rt, root.principal);
    const ada = await admin.admin.users.create({
      email: "ada@example.com",
      role: "member",
      password: remember(secret("ada")),
    });
    await admin.admin.users.setPassword({ id: ada.id, password: remember(secret("ada-reset")), mustChange: false });

    // The second factor's secrets: the TOTP secret is sealed, recovery codes are hashed.
    remember(root.totpSecret as string);
    for (const code of root.recoveryCodes) remember(code);

    // Sign-in: right (both steps: password, then a TOTP code; again with a recovery code), wrong, unknown
    // account, and a password typed into the email field.
    for (const code of [nextTotpCode(base, root.totpSecret as string), root.recoveryCodes[0] as string]) {
      const first = await attemptSignIn(rt, { email: "root@example.com", password: root.password }, client);
      if (first.ok || first.reason !== "second_factor") throw new Error("expected the second step");
      expect(await attemptSecondStep(rt, first.handle, { code }, client)).toMatchObject({ ok: true });
    }
    expect(
      await signInWithPassword(rt, { email: "root@example.com", password: remember(secret("wrong")) }, client),
    ).toBeNull();
    expect(
      await signInWithPassword(rt, { email: "nobody@example.com", password: remember(secret("guess")) }, client),
    ).toBeNull();
    expect(
      await signInWithPassword(rt, { email: remember(secret("typed-into-email")), password: "x" }, client),
    ).toBeNull();

    // Password changes: wrong current password (audited failure), then a real change.
    const adaSession = await seedUser(rt, "ada2@example.com", "member", remember(secret("ada2")));
    const asAda = callerFor(rt, adaSession.principal);
    await expect(
      asAda.account.changePassword({
        currentPassword: remember(secret("not-current")),
        newPassword: remember(secret("n1")),
      }),
    ).rejects.toThrow();
    await asAda.account.changePassword({
      currentPassword: adaSession.password,
      newPassword: remember(secret("ada2-new")),
    });

    // Token creation: a first token (as the CLI would), then through both doors with it.
    const svc = { db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client };
    const first = remember(
      (
        await createToken(svc, root.user.id, {
          name: "bootstrap",
          scopes: ["tokens:write", "tokens:read", "contacts:write", "contacts:read", "admin"],
        })
      ).token,
    );
    const viaRest = await http("rest", "/api/v1/tokens", {
      method: "POST",
      headers: bearer(first),
      body: JSON.stringify({ name: "rest-made", scopes: ["contacts:read", "contacts:write"] }),
    });
    expect(viaRest.status).toBe(201);
    const restToken = remember((await viaRest.json()).token);
    // The admin API: a token made for another user, and a password set, over REST.
    const forAda = await http("rest", `/api/v1/admin/users/${ada.id}/tokens`, {
      method: "POST",
      headers: bearer(first),
      body: JSON.stringify({ name: "admin-made", scopes: ["contacts:read"] }),
    });
    expect(forAda.status).toBe(201);
    remember((await forAda.json()).token);
    const setOverRest = await http("rest", `/api/v1/admin/users/${ada.id}/password`, {
      method: "PUT",
      headers: bearer(first),
      body: JSON.stringify({ password: remember(secret("ada-rest-reset")), mustChange: true }),
    });
    expect(setOverRest.status).toBe(200);
    const viaTrpc = await http("trpc", "/api/trpc/tokens.create", {
      method: "POST",
      headers: bearer(first),
      body: JSON.stringify({ name: "trpc-made", scopes: ["contacts:read"] }),
    });
    expect(viaTrpc.status).toBe(200);
    const trpcToken = remember((await viaTrpc.json()).result.data.token);

    // Token use, including an encrypted field with a sentinel in it.
    const created = await http("rest", "/api/v1/contacts", {
      method: "POST",
      headers: bearer(restToken),
      body: JSON.stringify({ name: "Grace", email: "grace@example.com", notes: remember(secret("sealed-note")) }),
    });
    expect(created.status).toBe(201);
    expect((await http("rest", "/api/v1/contacts", { headers: bearer(restToken) })).status).toBe(200);
    expect((await http("trpc", "/api/trpc/contacts.list?input=%7B%7D", { headers: bearer(trpcToken) })).status).toBe(
      200,
    );

    // Rotation hands out another secret; revocation, then use of the revoked one.
    const tokenId = (await (await http("rest", "/api/v1/tokens", { headers: bearer(first) })).json()).items.find(
      (t: { name: string }) => t.name === "trpc-made",
    ).id;
    const rotated = await http("rest", `/api/v1/tokens/${tokenId}/rotate`, {
      method: "POST",
      headers: bearer(first),
      body: JSON.stringify({ graceSeconds: 0 }),
    });
    expect(rotated.status).toBe(200);
    remember((await rotated.json()).token);
    expect((await http("trpc", "/api/trpc/contacts.list?input=%7B%7D", { headers: bearer(trpcToken) })).status).toBe(
      401,
    );

    // Bad tokens: well-formed but unknown, malformed, with a typo, and one put in the URL.
    for (const bad of [
      remember(generateToken()),
      remember(`${SENTINEL}bad-token`),
      remember(`${restToken.slice(0, -1)}x`),
    ]) {
      const res = await http("rest", "/api/v1/contacts", { headers: bearer(bad) });
      expect([400, 401]).toContain(res.status);
    }
    expect((await http("rest", `/api/v1/contacts?access_token=${remember(secret("in-url"))}`)).status).toBe(400);
    expect((await http("rest", `/api/v1/contacts?q=${restToken}`)).status).toBe(400);

    // Everything aggregated or counted in memory goes to the database too.
    await flushAggregated(rt.db);
    await flushTraffic(rt.db, rt.clock.now());

    // The audit log as an admin would export it.
    const exports: string[] = [];
    for (const format of ["csv", "ndjson"]) {
      const res = await handleAuditExport(
        new Request(`http://localhost:3000${AUDIT_EXPORT_PATH}?format=${format}`, { headers: bearer(first) }),
        rt,
      );
      expect(res.status).toBe(200);
      exports.push(await res.text());
    }
    // The same through the REST door (GET /api/v1/admin/audit/export), streamed by the same code.
    for (const format of ["csv", "ndjson"]) {
      const res = await http("rest", `/api/v1/admin/audit/export?format=${format}`, { headers: bearer(first) });
      expect(res.status).toBe(200);
      exports.push(await res.text());
    }

    const blobs: Record<string, Buffer> = {
      database: fs.readFileSync(file),
      wal: fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`) : Buffer.alloc(0),
      "csv export": Buffer.from(exports[0] as string),
      "ndjson export": Buffer.from(exports[1] as string),
      "REST csv export": Buffer.from(exports[2] as string),
      "REST ndjson export": Buffer.from(exports[3] as string),
      logs: Buffer.from(logLines.join("")),
    };

    // Positive controls: the search looks at real data.
    const stored = Buffer.concat([blobs.database as Buffer, blobs.wal as Buffer]);
    expect(stored.includes("root@example.com")).toBe(true);
    expect(stored.includes("session.login_failed")).toBe(true);
    expect(exports[0]).toContain("session.login_failed");
    expect(exports[1]).toContain("token.create");
    expect(logLines.some((l) => l.includes('"msg":"request"'))).toBe(true);
    expect(logLines.some((l) => l.includes("refused an API token"))).toBe(true);
    expect(secrets.length).toBeGreaterThanOrEqual(15);

    const hits: string[] = [];
    for (const value of secrets) {
      for (const [where, blob] of Object.entries(blobs))
        if (blob.includes(value)) hits.push(`${where}: ${value.slice(0, 24)}…`);
    }
    // And the common prefix of every sentinel secret, in case one was cut or re-encoded.
    for (const [where, blob] of Object.entries(blobs)) if (blob.includes(SENTINEL)) hits.push(`${where}: ${SENTINEL}`);
    expect(hits).toEqual([]);
  });
});
