/**
 * Queries on the hottest paths (the token check, a contact list's first
 * page) are built once per database handle as drizzle prepared queries with
 * placeholders, instead of being built again on every request: building the
 * SQL text cost more than running it. Keyed by handle, so a test's in-memory
 * database and a transaction handle each get their own.
 */
const byHandle = new WeakMap<object, Map<string, unknown>>();

export function preparedOnce<T>(handle: object, name: string, build: () => T): T {
  let queries = byHandle.get(handle);
  if (!queries) {
    queries = new Map();
    byHandle.set(handle, queries);
  }
  let query = queries.get(name) as T | undefined;
  if (query === undefined) {
    query = build();
    queries.set(name, query);
  }
  return query;
}
