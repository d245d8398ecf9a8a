import { z } from "zod";
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

export const CURSOR_MAX = 512;
const CURSOR_MESSAGE = "must be a cursor returned by a previous page";

export const cursorInput = z
  .string()
  .max(CURSOR_MAX, CURSOR_MESSAGE)
  .regex(/^[A-Za-z0-9_-]+$/, CURSOR_MESSAGE)
  .optional()
  .describe("nextCursor of the previous page; omit for the first page");

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page"),
  });

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
