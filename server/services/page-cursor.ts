import { AppError } from "../errors";

/**
 * The one pagination scheme of every list (REST and tRPC): `cursor` + `limit`
 * in, `{ items, nextCursor }` out. A cursor is opaque to clients: base64url of
 * the sort key of the last item of the page (keyset pagination, stable under
 * inserts), never an offset. `nextCursor` is null on the last page. A cursor
 * that does not decode to what the list expects is a 400 naming `cursor`.
 *
 * contacts keep the same scheme with their own (shorter) encoding in
 * services/contacts.ts; the audit log's cursor wraps its `seq`.
 */

import { CURSOR_MESSAGE, LIST_PAGE_MAX } from "./page-cursor-input";

export {
  CURSOR_MAX,
  CURSOR_MESSAGE,
  cursorInput,
  LIST_PAGE_MAX,
  listPageFields,
  listPageInput,
  pageSchema,
} from "./page-cursor-input";

/** The sort key of the last item, as a cursor. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

function badCursor(): AppError {
  return new AppError("BAD_REQUEST", `cursor: ${CURSOR_MESSAGE}`, "bad_cursor");
}

/**
 * The sort key back from a cursor, checked against its expected shape: each
 * element a string matching the pattern given, or a safe non-negative integer for "int".
 */
export function decodeCursor(cursor: string, shape: readonly (RegExp | "int")[]): (string | number)[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(key) || key.length !== shape.length) throw badCursor();
  shape.forEach((expected, i) => {
    const value = key[i];
    const ok =
      expected === "int"
        ? Number.isSafeInteger(value) && (value as number) >= 0
        : typeof value === "string" && expected.test(value);
    if (!ok) throw badCursor();
  });
  return key as (string | number)[];
}

/** A list's order: the column it is sorted by and the direction. */
export interface SortOrder {
  sort: string;
  direction: "asc" | "desc";
}

const SORT_NAME = /^[A-Za-z]{1,40}$/;
const DIRECTION = /^(asc|desc)$/;

/**
 * The cursor of a list that can be sorted several ways carries its order
 * ahead of the sort key: [sort, direction, ...key]. A cursor is only good for
 * the order it was made in (its key means nothing in another), so one
 * presented with another sort or direction is refused, naming `cursor`,
 * rather than silently skipping or repeating items.
 */
export function encodeSortedCursor(order: SortOrder, key: readonly (string | number)[]): string {
  return encodeCursor([order.sort, order.direction, ...key]);
}

export function decodeSortedCursor(
  cursor: string,
  order: SortOrder,
  shape: readonly (RegExp | "int")[],
): (string | number)[] {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(raw) || raw.length !== shape.length + 2) throw badCursor();
  if (typeof raw[0] !== "string" || typeof raw[1] !== "string") throw badCursor();
  if (raw[0] !== order.sort || raw[1] !== order.direction) {
    throw new AppError(
      "BAD_REQUEST",
      `cursor: was returned for another order (${raw[0].slice(0, 40)} ${raw[1].slice(0, 4)}); ask for the first page of this one`,
      "cursor_order_mismatch",
    );
  }
  return decodeCursor(cursor, [SORT_NAME, DIRECTION, ...shape]).slice(2);
}

const SORT_KEY = /^.{0,400}$/s;
const ITEM_ID = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * One page of a collection loaded whole, in the order (sort key, then id) and
 * direction given, with the same opaque keyset cursor as the database-paged
 * lists: the page after a cursor starts right after its key, so an item added
 * or removed meanwhile shifts nothing. A list that can be sorted several ways
 * names the order in `sort`: its cursors then carry it (encodeSortedCursor)
 * and one made under another sort or direction is refused, naming cursor.
 */
export function pageOf<T>(
  all: readonly T[],
  input: { cursor?: string; limit?: number } | undefined,
  order: { key: (item: T) => string; id: (item: T) => string; direction: "asc" | "desc"; sort?: string },
): { items: T[]; nextCursor: string | null } {
  const limit = input?.limit ?? LIST_PAGE_MAX;
  const sign = order.direction === "asc" ? 1 : -1;
  const compare = (a: readonly [string, string], b: readonly [string, string]) =>
    sign * (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
  const keyed = all
    .map((item) => ({ item, key: [order.key(item), order.id(item)] as const }))
    .sort((a, b) => compare(a.key, b.key));
  const sorted = order.sort === undefined ? null : { sort: order.sort, direction: order.direction };
  const shape = [SORT_KEY, ITEM_ID];
  const decode = (cursor: string): [string, string] => {
    const key = sorted ? decodeSortedCursor(cursor, sorted, shape) : decodeCursor(cursor, shape);
    return key as [string, string];
  };
  const after = input?.cursor ? decode(input.cursor) : null;
  const rest = after ? keyed.filter((k) => compare(k.key, after) > 0) : keyed;
  const page = rest.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((k) => k.item),
    nextCursor:
      rest.length > limit && last ? (sorted ? encodeSortedCursor(sorted, last.key) : encodeCursor(last.key)) : null,
  };
}
