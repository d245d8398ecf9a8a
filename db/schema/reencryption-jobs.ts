import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { timestamp } from "./columns";

export const REENCRYPTION_STATUSES = ["running", "finished", "superseded"] as const;
export type ReencryptionStatus = (typeof REENCRYPTION_STATUSES)[number];

/**
 * One run of `gatehouse keys reencrypt`. Each batch of rows is re-sealed and
 * this row's `done`/`cursor_*` advanced in the same transaction, so after a
 * crash the job says exactly where to go on, and the dashboard shows how far
 * it got. A job whose target is no longer the active key is superseded.
 */
export const reencryptionJobs = sqliteTable("reencryption_jobs", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  /** The key every value is being moved to (the active key when the job started). */
  targetKeyId: text("target_key_id").notNull(),
  status: text("status", { enum: REENCRYPTION_STATUSES }).notNull(),
  /** Rows that needed work when the job started (a later sweep may add stragglers to `done`). */
  total: integer("total").notNull(),
  done: integer("done").notNull(),
  /** The last row re-sealed: table name and row id, in the order the job walks. */
  cursorTable: text("cursor_table"),
  cursorId: text("cursor_id"),
  startedAt: timestamp("started_at").notNull(),
  updatedAt: timestamp("updated_at").notNull(),
  finishedAt: timestamp("finished_at"),
});

export type ReencryptionJobRow = typeof reencryptionJobs.$inferSelect;
