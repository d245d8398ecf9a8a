import { DrizzleQueryError } from "drizzle-orm/errors";
import { SQLitePreparedQuery } from "drizzle-orm/sqlite-core";

/**
 * drizzle's async drivers wrap the driver's error of every failed query in a
 * DrizzleQueryError whose message is the SQL and every bound parameter —
 * sealed values, token hashes, whatever the query carried. A message is what
 * ends up in logs and, through a careless handler, in answers; and the
 * driver's own error (SQLite's code, a constraint's name) is what this
 * application classifies (db/storage-errors.ts, server/errors.ts). So a failed
 * query rejects with the driver's error itself, as the synchronous driver did.
 * The query's text is still in a debugger's reach: nowhere else.
 */
type QueryRunner = (queryString: string, params: unknown[], query: () => Promise<unknown>) => Promise<unknown>;

const prototype = SQLitePreparedQuery.prototype as unknown as { queryWithCache: QueryRunner };
const wrapped = prototype.queryWithCache;
prototype.queryWithCache = async function (this: unknown, queryString, params, query) {
  try {
    return await wrapped.call(this, queryString, params, query);
  } catch (error) {
    throw error instanceof DrizzleQueryError && error.cause !== undefined ? error.cause : error;
  }
};
