import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp, updatedAt } from "./columns";

export const ROLES = ["admin", "member"] as const;
export type Role = (typeof ROLES)[number];

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(), // usr_…
    email: text("email").notNull(), // stored lower-cased and trimmed
    name: text("name"),
    role: text("role", { enum: ROLES }).notNull().default("member"),
    passwordHash: text("password_hash").notNull(), // argon2id PHC string
    mustChangePassword: integer("must_change_password", { mode: "boolean" }).notNull().default(false),
    disabledAt: timestamp("disabled_at"),
    passwordChangedAt: timestamp("password_changed_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("users_email_unique").on(t.email),
    index("users_role_active_idx").on(t.role).where(sql`${t.disabledAt} is null`),
  ],
);

export type UserRow = typeof users.$inferSelect;
