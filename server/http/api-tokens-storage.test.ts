import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { hashToken } from "../auth/api-token";
import { SYSTEM_ACTOR } from "../services/audit";
import { createToken } from "../services/tokens";
import { createTestRuntime, seedUser } from "../testing/harness";
import { handleRest } from "./rest-handler";
import { handleTrpc } from "./trpc-handler";

/**
 * "Only a hash is stored": create tokens through every path on a real
 * on-disk SQLite database (WAL), use, rotate and misuse them, then search the
 * database file, its WAL and every captured log line for any token.
 */

const logLines = vi.hoisted(() => [] as string[]);

// The application logger, at the most verbose level, writing into memory
// through the same redaction step as the real one.
vi.mock("../logger", async () => {
  const { default: pino } = await import("pino");
  const { redact } = await import("../security/redact");
  const { Writable: W } = await import("node:stream");
  const sink = new W({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: "trace", formatters: { log: (o) => redact(o) as Record<string, unknown> } }, sink);
  return { getLogger: () => logger };
});

const ORIGIN = "http://localhost:3000";

describe("token storage", () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-tokens-"));
    logLines.length = 0;
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps no token in the database file, its WAL or the logs", async () => {
    const file = path.join(dir, "gatehouse.db");
    const rt = { ...createTestRuntime({ databaseFile: file }), db: openDatabase(file) };
    const alice = await seedUser(rt, "alice@example.com");
    const svc = {
      db: rt.db,
      clock: rt.clock,
      actor: SYSTEM_ACTOR,
      client: { ip: null, userAgent: null, requestId: "t" },
    };
    const bearer = (token: string, extra: Record<string, string> = {}) => ({
      authorization: `Bearer ${token}`,
      ...extra,
    });
    const json = { "content-type": "application/json" };

    const parent = (
      await createToken(svc, alice.user.id, {
        name: "parent",
        scopes: ["contacts:read", "contacts:write", "tokens:read", "tokens:write"],
      })
    ).token;

    // Created over REST …
    const viaRest = await (
      await handleRest(
        new Request(`${ORIGIN}/api/v1/tokens`, {
          method: "POST",
          headers: bearer(parent, json),
          body: JSON.stringify({ name: "rest", scopes: ["contacts:read", "contacts:write", "tokens:write"] }),
        }),
        rt,
      )
    ).json();
    // … and over tRPC.
    const viaTrpc = await (
      await handleTrpc(
        new Request(`${ORIGIN}/api/trpc/tokens.create`, {
          method: "POST",
          headers: bearer(parent, { ...json, origin: ORIGIN }),
          body: JSON.stringify({ name: "trpc", scopes: ["contacts:read"] }),
        }),
        rt,
      )
    ).json();
    const trpcToken: string = viaTrpc.result.data.token;

    // Used, rotated, revoked, misused.
    const created = await handleRest(
      new Request(`${ORIGIN}/api/v1/contacts`, {
        method: "POST",
        headers: bearer(viaRest.token, json),
        body: JSON.stringify({ name: "Ada", email: "ada@example.com" }),
      }),
      rt,
    );
    expect(created.status).toBe(201);
    const rotated = await (
      await handleRest(
        new Request(`${ORIGIN}/api/v1/tokens/${viaRest.id}/rotate`, {
          method: "POST",
          headers: bearer(viaRest.token, json),
          body: JSON.stringify({ graceSeconds: 0 }),
        }),
        rt,
      )
    ).json();
    const tokens = [parent, viaRest.token as string, trpcToken, rotated.token as string];
    for (const token of tokens) expect(token).toMatch(/^gth_[0-9A-Za-z]{49}$/);

    const misuse = [
      new Request(`${ORIGIN}/api/v1/contacts`, { headers: bearer(viaRest.token) }), // rotated away: refused, logged by id
      new Request(`${ORIGIN}/api/v1/contacts`, { headers: bearer(trpcToken.toLowerCase()) }),
      new Request(`${ORIGIN}/api/v1/contacts?access_token=${rotated.token}`),
      new Request(`${ORIGIN}/api/v1/contacts`, { headers: { authorization: `Bearer ${parent}, Bearer ${trpcToken}` } }),
      new Request(`${ORIGIN}/api/v1/contacts`, { headers: { authorization: `Bearer ${parent} ${"x".repeat(5000)}` } }),
    ];
    for (const req of misuse) {
      const res = await handleRest(req, rt);
      expect([400, 401]).toContain(res.status);
      const text = await res.text();
      for (const token of tokens) expect(text).not.toContain(token.slice(4, 30));
    }
    expect(logLines.some((line) => line.includes("refused an API token"))).toBe(true);

    // Read the bytes as they are on disk: the main file and the write-ahead log.
    const files = [file, `${file}-wal`].filter((f) => fs.existsSync(f));
    expect(files).toHaveLength(2);
    const bytes = Buffer.concat(files.map((f) => fs.readFileSync(f)));
    expect(bytes.length).toBeGreaterThan(0);
    // The search does see what was written: the contact, and each token's hash.
    expect(bytes.includes("Ada")).toBe(true);
    for (const token of tokens) expect(bytes.includes(hashToken(token))).toBe(true);
    const logs = logLines.join("");
    for (const token of tokens) {
      // The whole token, and also its secret alone and a slice of it (in case a prefix were stripped).
      for (const needle of [token, token.slice(4, -6), token.slice(10, 30)]) {
        expect(bytes.includes(needle)).toBe(false);
        expect(bytes.includes(Buffer.from(needle, "utf16le"))).toBe(false);
        expect(logs).not.toContain(needle);
      }
    }
    sqliteOf(rt.db).close();
  });
});
