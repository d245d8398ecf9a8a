import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { generateOpenApiTypes, OPENAPI_TYPES_FILE } from "./openapi-types";

/**
 * The committed client types (what openapi-client.test.ts and `tsc` check
 * against) are exactly what openapi-typescript makes from today's document:
 * a change to a procedure's schemas or meta that is not regenerated fails here.
 */
describe("the generated client types", () => {
  it(`are up to date (run \`npm run openapi:types\` after changing the API): ${OPENAPI_TYPES_FILE}`, async () => {
    const fresh = await generateOpenApiTypes();
    const committed = fs.readFileSync(OPENAPI_TYPES_FILE, "utf8");
    // The first differing line says what changed, without printing 5,000 lines.
    const a = committed.split("\n");
    const b = fresh.split("\n");
    const at = a.findIndex((line, i) => line !== b[i]);
    expect(at === -1 && a.length === b.length ? null : { line: at + 1, committed: a[at], fresh: b[at] }).toBeNull();
  });

  it("type every documented answer the client sees: problems, 201 Location, 429 Retry-After", () => {
    const source = fs.readFileSync(OPENAPI_TYPES_FILE, "utf8");
    expect(source).toContain('"Retry-After": number;');
    expect(source).toContain("Location: string;");
    expect(source).toMatch(/"application\/problem\+json": components\["schemas"\]\["Problem"\]/);
    expect(source).toContain('"violated-policies"?: string[];');
  });
});
