/**
 * Structural caps on a JSON request body, checked on the raw bytes before
 * anything parses it: nesting depth and array length. The body size cap
 * (body.ts) bounds the bytes; these bound what a small body can still make
 * a parser and a validator do (a megabyte of "[[[[…" is 500,000 levels; a
 * megabyte of "0," is 500,000 array items for zod to walk). Every Gatehouse
 * input is a flat object of scalars and short lists, so the limits are far
 * above anything legitimate.
 *
 * This is a scanner, not a validator: it only tracks strings (so brackets
 * inside them do not count), containers and commas; malformed JSON is left
 * for the real parser to refuse. Working on UTF-8 bytes is safe because `"`,
 * `\`, brackets and commas never occur inside a multi-byte sequence.
 */

export const MAX_JSON_DEPTH = 32;
export const MAX_JSON_ARRAY_ITEMS = 1000;

export type JsonShapeProblem =
  | { reason: "json_too_deep"; detail: string }
  | { reason: "json_array_too_long"; detail: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

export function checkJsonShape(
  input: Uint8Array | string,
  limits: { maxDepth: number; maxArrayItems: number } = {
    maxDepth: MAX_JSON_DEPTH,
    maxArrayItems: MAX_JSON_ARRAY_ITEMS,
  },
): JsonShapeProblem | null {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  // Per open container: -1 for an object, else the number of commas seen in that array.
  const stack: number[] = [];
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    switch (byte) {
      case QUOTE:
        inString = true;
        break;
      case OPEN_ARRAY:
      case OPEN_OBJECT:
        stack.push(byte === OPEN_ARRAY ? 0 : -1);
        if (stack.length > limits.maxDepth) {
          return { reason: "json_too_deep", detail: `The JSON is nested more than ${limits.maxDepth} levels deep` };
        }
        break;
      case CLOSE_ARRAY:
      case CLOSE_OBJECT:
        stack.pop();
        break;
      case COMMA: {
        const top = stack.length - 1;
        const commas = stack[top];
        if (commas !== undefined && commas >= 0) {
          stack[top] = commas + 1;
          if (commas + 2 > limits.maxArrayItems) {
            return {
              reason: "json_array_too_long",
              detail: `A JSON array has more than ${limits.maxArrayItems} items`,
            };
          }
        }
        break;
      }
    }
  }
  return null;
}
