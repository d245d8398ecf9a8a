import { describe, expect, it } from "vitest";
import { ID_PREFIXES, idPattern, newId } from "./ids";

describe("newId", () => {
  it("gives the kind's prefix and 20 base36 characters, never the same twice", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const id = newId("request");
      expect(id).toMatch(idPattern("request"));
      ids.add(id);
    }
    expect(ids.size).toBe(20_000);
    for (const kind of Object.keys(ID_PREFIXES) as (keyof typeof ID_PREFIXES)[]) {
      expect(newId(kind).startsWith(`${ID_PREFIXES[kind]}_`)).toBe(true);
    }
  });

  it("draws every character equally often (no modulo bias towards 0-3)", () => {
    const counts = new Map<string, number>();
    const n = 18_000; // 360,000 characters: 10,000 expected per character, a standard deviation of about 100
    for (let i = 0; i < n; i++) {
      for (const c of newId("audit").slice(4)) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(counts.size).toBe(36);
    const expected = (n * 20) / 36;
    // byte % 36 over all 256 byte values would make 0-3 about 14 % more frequent than the rest.
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.05);
  });
});
