import { z } from "zod";

/**
 * The request and response shapes of the one pagination scheme
 * (page-cursor.ts has the cursor's encoding and the paging itself): apart,
 * because list inputs built from these are bundled by the browser as well.
 */

export const CURSOR_MAX = 512;
export const CURSOR_MESSAGE = "must be a cursor returned by a previous page";

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

/** `cursor` + `limit` of a list whose whole (small, bounded) collection a service returns at once. */
export const LIST_PAGE_MAX = 100;
export const listPageFields = {
  cursor: cursorInput,
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(LIST_PAGE_MAX)
    .default(LIST_PAGE_MAX)
    .describe(`Page size; default and maximum ${LIST_PAGE_MAX}`),
};
export const listPageInput = z.strictObject(listPageFields);
