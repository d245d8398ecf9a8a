import { count, gt } from "drizzle-orm";
import type { Executor } from "@/db";
import { apiTokens, sessions } from "@/db/schema";
import { statusWhere } from "../services/token-rules";

/**
 * Point-in-time figures for the Overview page and the metrics gauges: one
 * count each over a small table (sessions and tokens, not the audit log).
 */
export async function activeSessionCount(db: Executor, now: Date): Promise<number> {
  return (await db.select({ n: count() }).from(sessions).where(gt(sessions.expiresAt, now)).get())?.n ?? 0;
}

export async function activeTokenCount(db: Executor, now: Date): Promise<number> {
  return (await db.select({ n: count() }).from(apiTokens).where(statusWhere("active", now)).get())?.n ?? 0;
}
