import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, updatedAt } from "./columns";

/**
 * The CORS allow-list, edited in the dashboard ("CORS origins") and with
 * `gatehouse cors …`. `origin` is stored in the exact form a browser sends in
 * its `Origin` header (lower-case scheme and host, punycode, no default port,
 * no path), so the per-request check is an exact, indexed equality — or the
 * single entry `*`, which can never carry credentials.
 */
export const corsOrigins = sqliteTable(
  "cors_origins",
  {
    id: text("id").primaryKey(), // cor_…
    origin: text("origin").notNull(),
    note: text("note"),
    /** Whether `Access-Control-Allow-Credentials: true` is sent, and cookie-authenticated writes are accepted from it. */
    allowCredentials: integer("allow_credentials", { mode: "boolean" }).notNull().default(false),
    /** Who added it: a user id, a token id (`tok_…`), or `cli`. */
    createdBy: text("created_by"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("cors_origins_origin_unique").on(t.origin)],
);

export type CorsOriginRow = typeof corsOrigins.$inferSelect;
