import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { decodeCursor, encodeCursor, pageOf } from "./page-cursor";

type Item = { id: string; at: string };
const item = (n: number, at: string): Item => ({ id: `cor_${String(n).padStart(20, "0")}`, at });
const order = { key: (i: Item) => i.at, id: (i: Item) => i.id, direction: "desc" as const };

function walk(all: () => Item[], limit: number, between?: (page: number) => void): string[] {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const answer = pageOf(all(), { cursor, limit }, order);
    seen.push(...answer.items.map((i) => i.id));
    if (answer.nextCursor === null) return seen;
    cursor = answer.nextCursor;
    between?.(page);
  }
  throw new Error("no last page");
}

describe("pageOf (keyset pages over a collection loaded whole)", () => {
  it("walks every item once, newest first, ties broken by id, for every page size", () => {
    const items = [
      item(1, "2026-01-01"),
      item(2, "2026-01-02"),
      item(3, "2026-01-02"),
      item(4, "2026-01-03"),
      item(5, "2026-01-01"),
    ];
    const expected = [item(4, ""), item(3, ""), item(2, ""), item(5, ""), item(1, "")].map((i) => i.id);
    for (const limit of [1, 2, 3, 5, 100])
      expect(
        walk(() => items, limit),
        `limit ${limit}`,
      ).toEqual(expected);
  });

  it("neither repeats nor skips an item that stays when others are added or removed between pages", () => {
    let items = Array.from({ length: 9 }, (_, i) => item(i + 1, `2026-01-${String(i + 1).padStart(2, "0")}`));
    const before = items.map((i) => i.id);
    const seen = walk(
      () => items,
      2,
      (page) => {
        if (page === 0) items = items.filter((i) => i.id !== before[5]); // one further down goes away
        if (page === 1) items = [...items, item(99, "2026-02-01")]; // a newer one arrives (belongs before the cursor)
      },
    );
    expect(seen).toEqual([...before].reverse().filter((id) => id !== before[5]));
  });

  it("refuses a cursor it did not make, naming cursor", () => {
    const items = [item(1, "2026-01-01")];
    for (const bad of ["", "!!", Buffer.from("{}").toString("base64url"), encodeCursor(["a"]), encodeCursor([1, 2])]) {
      if (bad === "") continue;
      let error: unknown;
      try {
        pageOf(items, { cursor: bad, limit: 1 }, order);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(AppError);
      expect((error as AppError).message).toMatch(/^cursor: /);
      expect((error as AppError).reason).toBe("bad_cursor");
    }
  });

  it("decodes only the shape asked for", () => {
    expect(decodeCursor(encodeCursor([42]), ["int"])).toEqual([42]);
    for (const cursor of [encodeCursor([-1]), encodeCursor([1.5]), encodeCursor(["42"]), encodeCursor([42, 1])]) {
      expect(() => decodeCursor(cursor, ["int"]), cursor).toThrow(AppError);
    }
    expect(() => decodeCursor(encodeCursor(["x", "tok_bad"]), [/^x$/, /^tok_[0-9a-z]{20}$/])).toThrow(AppError);
  });
});
