import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { apiTokens } from "@/db/schema";
import { callerFor, createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { SYSTEM_ACTOR } from "./audit";
import { encodeCursor } from "./page-cursor";
import { createToken } from "./tokens";

/**
 * Token lists (own and admin) sorted by creation, last use or name, either
 * direction, keyset-paged in that order; a cursor is refused under another
 * order, naming `cursor`; the old [createdAt, id] cursor still works.
 */

let rt: TestRuntime;
let own: ReturnType<typeof callerFor>;
let admin: ReturnType<typeof callerFor>;
const HOUR = 3_600_000;

beforeEach(async () => {
  rt = createTestRuntime();
  const root = await seedUser(rt, "root@example.com", "admin");
  const alice = await seedUser(rt, "alice@example.com", "member");
  const svc = {
    db: rt.db,
    clock: rt.clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "t" },
  };
  const start = rt.clock.now().getTime();
  // Created in the order b, c, a; used: c long ago, a recently, b never.
  for (const [i, name] of ["bravo", "charlie", "alpha"].entries()) {
    rt.clock.set(start + i * HOUR);
    await createToken(svc, alice.user.id, { name, scopes: ["contacts:read"] });
  }
  const at = (name: string) => eq(apiTokens.name, name);
  await rt.db
    .update(apiTokens)
    .set({ lastUsedAt: new Date(start + 3 * HOUR) })
    .where(at("charlie"))
    .run();
  await rt.db
    .update(apiTokens)
    .set({ lastUsedAt: new Date(start + 5 * HOUR) })
    .where(at("alpha"))
    .run();
  rt.clock.set(start + 6 * HOUR);
  own = callerFor(rt, alice.principal);
  admin = callerFor(rt, root.principal);
});

const names = (page: { items: Array<{ name: string }> }) => page.items.map((t) => t.name);

describe("token lists sorted on the server", () => {
  it("newest first by default; by last use (never used last) and by name", async () => {
    expect(names(await own.tokens.list({}))).toEqual(["alpha", "charlie", "bravo"]);
    expect(names(await own.tokens.list({ sort: "createdAt", direction: "asc" }))).toEqual([
      "bravo",
      "charlie",
      "alpha",
    ]);
    expect(names(await own.tokens.list({ sort: "lastUsedAt" }))).toEqual(["alpha", "charlie", "bravo"]);
    expect(names(await own.tokens.list({ sort: "name" }))).toEqual(["alpha", "bravo", "charlie"]);
    expect(names(await admin.admin.tokens.list({ sort: "name", direction: "desc" }))).toEqual([
      "charlie",
      "bravo",
      "alpha",
    ]);
  });

  it("pages of one walk the same order as one page", async () => {
    for (const sort of ["createdAt", "lastUsedAt", "name"] as const) {
      for (const direction of ["asc", "desc"] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await own.tokens.list({ sort, direction, limit: 1, cursor });
          seen.push(...names(page));
          cursor = page.nextCursor ?? undefined;
        } while (cursor && seen.length < 10);
        expect(seen, `${sort} ${direction}`).toEqual(names(await own.tokens.list({ sort, direction })));
      }
    }
  });

  it("refuses a cursor under another order and an unknown sort, naming the field", async () => {
    const cursor = (await own.tokens.list({ sort: "name", limit: 1 })).nextCursor as string;
    await expect(own.tokens.list({ sort: "createdAt", cursor })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^cursor: was returned for another order/),
    });
    await expect(admin.admin.tokens.list({ sort: "name", direction: "desc", cursor })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    const error = await own.tokens.list({ sort: "secret" } as never).catch((e: unknown) => e);
    expect((error as { cause?: { issues?: Array<{ path: unknown[] }> } }).cause?.issues?.map((i) => i.path[0])).toEqual(
      ["sort"],
    );
  });

  it("still honours the old [createdAt, id] cursor in the default order", async () => {
    const all = await own.tokens.list({});
    const first = all.items[0] as { id: string; createdAt: string };
    const old = encodeCursor([String(new Date(first.createdAt).getTime()), first.id]);
    expect(names(await own.tokens.list({ cursor: old }))).toEqual(["charlie", "bravo"]);
  });
});
