import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { timestamp } from "./columns";

export const STORES = ["sqlite", "postgres"] as const;

/**
 * The instances of Gatehouse serving this database, as each last said so
 * (server/observability/instances.ts): every server writes its row at start
 * and then every INSTANCE_BEAT_MS, so the dashboard's Overview shows the
 * whole fleet, and which instance is silent. A row not heard from for a week
 * is deleted. Nothing here is trusted for access decisions.
 */
export const instances = sqliteTable("instances", {
  /** INSTANCE_ID (default: host name and port). */
  id: text("id").primaryKey(),
  startedAt: timestamp("started_at").notNull(),
  lastSeenAt: timestamp("last_seen_at").notNull(),
  /** Worker processes of that server (WEB_CONCURRENCY). */
  workers: integer("workers").notNull(),
  store: text("store", { enum: STORES }).notNull(),
  /** The Gatehouse version it runs (package.json), for a rolling upgrade. */
  version: text("version").notNull(),
});

export type InstanceRow = typeof instances.$inferSelect;
