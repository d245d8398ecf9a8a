/**
 * Query parameter names that are also members of Object.prototype
 * (`__proto__`, `constructor`, `toString`, …). Collected into a plain
 * object, such a name finds the inherited member (trpc-to-openapi's query
 * parser threw on them: a 500, found by the fuzz test). rest-call.ts
 * collects into a Map and an object without a prototype, and the door still
 * refuses these names first, as unknown parameters: every input schema is
 * strict, so no such name could ever be valid.
 */
export function reservedQueryName(url: URL): string | null {
  for (const name of url.searchParams.keys()) {
    if (name in Object.prototype) return name;
  }
  return null;
}
