import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sqliteOf } from "@/db";
import { createLogger, setLogger } from "../logger";
import { hashSecret } from "./credentials";
import {
  authorize,
  CALLBACK,
  clientCredentialsToken,
  createTestbed,
  type Testbed,
  tokenRequest,
} from "./testing/testbed";

/**
 * "Authorization codes, refresh tokens and client secrets are stored only as
 * hashes": a whole OAuth life — registration, consent, code, tokens, refresh,
 * client credentials, secret rotation, revocation, misuse — on a real on-disk
 * SQLite database (WAL), then the database file, its WAL and every log line
 * are searched for any of those secrets. The hashes are found, so the search
 * looks at the right bytes.
 */
const logLines: string[] = [];

describe("OAuth secrets at rest", () => {
  let dir: string;
  let bed: Testbed;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-oauth-storage-"));
    bed = createTestbed({ databaseFile: path.join(dir, "gatehouse.db") });
    logLines.length = 0;
    setLogger(createLogger({ level: "trace", destination: { write: (line: string) => logLines.push(line) } }));
  });
  afterEach(() => {
    setLogger(undefined);
    sqliteOf(bed.rt.db).close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps no code, refresh token, client secret or access token in the database, its WAL or the logs", async () => {
    const alice = await bed.user("alice@example.com");
    const cookie = await bed.sessionCookie(alice.user, alice.session.id);
    const client = await bed.registerClient({});
    const secrets: string[] = [client.clientSecret as string];

    const { callback, verifier } = await authorize(bed, { clientId: client.clientId, cookie, userId: alice.user.id });
    const code = callback.searchParams.get("code") as string;
    secrets.push(code, verifier);
    const first = await tokenRequest(bed, client, {
      grant_type: "authorization_code",
      code,
      redirect_uri: CALLBACK,
      code_verifier: verifier,
    });
    expect(first.status).toBe(200);
    secrets.push(first.body.refresh_token as string, first.body.access_token as string);

    const second = await tokenRequest(bed, client, {
      grant_type: "refresh_token",
      refresh_token: first.body.refresh_token as string,
    });
    expect(second.status).toBe(200);
    secrets.push(second.body.refresh_token as string, second.body.access_token as string);
    secrets.push(await clientCredentialsToken(bed, client, "contacts:read"));

    // Misuse that is refused and logged or audited: a replayed code, a reused refresh token, a wrong secret.
    expect(
      (
        await tokenRequest(bed, client, {
          grant_type: "authorization_code",
          code,
          redirect_uri: CALLBACK,
          code_verifier: verifier,
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await tokenRequest(bed, client, {
          grant_type: "refresh_token",
          refresh_token: first.body.refresh_token as string,
        })
      ).status,
    ).toBe(400);
    const wrong = { ...client, clientSecret: `${client.clientSecret}x` };
    expect((await tokenRequest(bed, wrong, { grant_type: "client_credentials" })).status).toBe(401);
    const forged = `${second.body.access_token}`.replace(/.$/, "A");
    await bed.dispatch(
      new Request("http://127.0.0.1:3000/api/v1/contacts", { headers: { authorization: `Bearer ${forged}` } }),
    );

    const file = path.join(dir, "gatehouse.db");
    const bytes = Buffer.concat([file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
    const logs = logLines.join("\n");
    expect(bytes.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      // A distinctive middle part: long enough to be unique, short enough to catch a truncated copy.
      const part = secret.length > 40 ? secret.slice(8, 40) : secret;
      expect(bytes.includes(part), `database holds ${secret.slice(0, 6)}…`).toBe(false);
      expect(logs.includes(part), `logs hold ${secret.slice(0, 6)}…`).toBe(false);
    }
    // The search looks at the right bytes: the hashes of the client secret, the code and the refresh tokens are there.
    for (const secret of [client.clientSecret as string, code, first.body.refresh_token as string]) {
      expect(bytes.includes(hashSecret(secret))).toBe(true);
    }
  });
});
