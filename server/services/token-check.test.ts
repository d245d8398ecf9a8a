import { describe, expect, it } from "vitest";
import { openDatabase, sqliteOf } from "@/db";
import { generateToken } from "../auth/api-token";
import { fixedClock } from "../clock";
import { checkToken } from "./token-check";

describe("checkToken", () => {
  it("refuses malformed and bad-checksum tokens without touching the database (it is closed)", async () => {
    const db = openDatabase(":memory:");
    sqliteOf(db).close();
    const clock = fixedClock(0);
    const token = generateToken();
    const bad = [
      token.toLowerCase(),
      token.slice(0, -1) + (token.endsWith("A") ? "B" : "A"),
      ` ${token}`,
      `${token.slice(0, 10)} ${token.slice(11)}`,
      token.slice(0, -1),
      "",
      "x".repeat(10 * 1024),
    ];
    for (const candidate of bad) {
      expect(await checkToken(db, clock, candidate, null)).toEqual({ ok: false, reason: "unknown", tokenId: null });
    }
    // A well-formed token does reach the database, which is why the closed one throws.
    await expect(checkToken(db, clock, token, null)).rejects.toThrow(/not open/);
  });
});
