/**
 * Query parameter names that are also members of Object.prototype
 * (`__proto__`, `constructor`, `toString`, …). trpc-to-openapi collects
 * query parameters into a plain object with `if (!parsed[key]) parsed[key] =
 * []; parsed[key].push(value)`, so such a name finds the inherited member
 * and throws — a 500, found by the fuzz test. The REST door refuses them as
 * unknown parameters first; every input schema is strict, so no such name
 * could ever be valid.
 */
export function reservedQueryName(url: URL): string | null {
  for (const name of url.searchParams.keys()) {
    if (name in Object.prototype) return name;
  }
  return null;
}
