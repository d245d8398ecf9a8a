import fs from "node:fs";
import path from "node:path";
import { desc, lt } from "drizzle-orm";
import type { Db, Executor } from "@/db";
import { type InstanceRow, instances } from "@/db/schema";
import type { Clock } from "../clock";

/**
 * Which instances of Gatehouse serve this database (table `instances`): each
 * server says so at start and every INSTANCE_BEAT_MS after, so the Overview
 * lists the whole fleet and shows one that went silent; /api/metrics names
 * the instance that answered (gatehouse_instance_info). A row says what an
 * instance reported about itself, for people: nothing decides access by it.
 */
export const INSTANCE_BEAT_MS = 15_000;
/** An instance not heard from for three beats is shown as silent. */
export const INSTANCE_SILENT_MS = 3 * INSTANCE_BEAT_MS;
/** A row not heard from for a week is removed: the instance is gone. */
const INSTANCE_FORGET_MS = 7 * 24 * 3_600_000;

export interface InstanceSelf {
  id: string;
  workers: number;
  store: InstanceRow["store"];
  version: string;
  startedAt: Date;
}

let version: string | undefined;
/** The version in package.json, read once. */
export function gatehouseVersion(): string {
  if (version === undefined) {
    try {
      version = String(JSON.parse(fs.readFileSync(path.join(process.cwd(), "package.json"), "utf8")).version);
    } catch {
      version = "unknown";
    }
  }
  return version;
}

export function storeOf(db: Db): InstanceRow["store"] {
  return db.$client ? "sqlite" : "postgres";
}

/** Writes this instance's row (one upsert) and forgets instances gone for a week. */
export async function beatInstance(db: Executor, clock: Clock, self: InstanceSelf): Promise<void> {
  const now = clock.now();
  await db
    .insert(instances)
    .values({ ...self, lastSeenAt: now })
    .onConflictDoUpdate({
      target: instances.id,
      set: {
        lastSeenAt: now,
        startedAt: self.startedAt,
        workers: self.workers,
        store: self.store,
        version: self.version,
      },
    })
    .run();
  await db
    .delete(instances)
    .where(lt(instances.lastSeenAt, new Date(now.getTime() - INSTANCE_FORGET_MS)))
    .run();
}

export interface FleetMember extends InstanceRow {
  /** Heard from within INSTANCE_SILENT_MS. */
  live: boolean;
}

/** Every instance that reported in the last week, the most recently heard first. */
export async function listInstances(db: Executor, now: Date): Promise<FleetMember[]> {
  const rows = await db.select().from(instances).orderBy(desc(instances.lastSeenAt), instances.id).limit(200).all();
  return rows.map((row) => ({ ...row, live: now.getTime() - row.lastSeenAt.getTime() <= INSTANCE_SILENT_MS }));
}
