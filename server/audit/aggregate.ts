import type { Executor } from "@/db";
import type { Outcome } from "@/db/schema";
import type { ClientInfo } from "../auth/principal";
import type { Clock } from "../clock";
import { getLogger } from "../logger";
import { processSingleton } from "../observability/process-singleton";
import { type Actor, type AuditEntry, auditTransaction, recordAudit } from "../services/audit";

/**
 * Aggregated audit events: for what can happen thousands of times a minute
 * under attack (authorization failures, rate-limit rejections), the audit
 * log gets ONE entry per group and window, carrying the count, instead of one
 * per request. A group is (action, actor, IP, target, and the `group` facts
 * the caller gives). Entries are written when the window closes, by the next
 * event after it or by the periodic flush (startAggregateFlush), whichever
 * comes first.
 *
 * Bounded by construction: at most MAX_GROUPS groups per window per process;
 * further groups fold into one overflow group per action (its entry says
 * `overflow: true` and still carries the count). So an attacker rotating IPs
 * or ids gets at most MAX_GROUPS + (number of actions) entries a minute.
 *
 * Counts live in memory until written: a process that dies loses at most one
 * window of them (a SIGTERM flushes first, see server/observability/start.ts).
 *
 * Usage (e.g. a rate-limit rejection):
 *
 *   recordAggregated(ctx.db, ctx.clock, {
 *     action: "ratelimit.rejected",
 *     actor: actorOf(ctx.principal),
 *     client: ctx.client,
 *     group: { policy: "api", procedure: path },
 *   });
 */
export interface AggregatedEvent {
  action: AuditEntry["action"];
  actor: Actor;
  /** Its IP groups the event; its request id is kept as a sample. */
  client: ClientInfo;
  /** Default "denied". */
  outcome?: Outcome;
  target?: { type: string; id: string | null };
  /** Facts that identify the group besides action, actor, IP and target: short scalars only. */
  group?: Record<string, string | number | boolean | null>;
}

export const AGGREGATE_WINDOW_MS = 60_000;
export const MAX_GROUPS = 100;
const MAX_SAMPLES = 3;

interface Group {
  event: AggregatedEvent;
  count: number;
  firstAt: number;
  lastAt: number;
  requestIds: string[];
  overflow: boolean;
}

class Aggregator {
  private groups = new Map<string, Group>();
  private windowStart: number | null = null;

  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
  ) {}

  async add(event: AggregatedEvent): Promise<void> {
    const now = this.clock.now().getTime();
    if (this.windowStart !== null && now - this.windowStart >= AGGREGATE_WINDOW_MS) await this.flush();
    this.windowStart ??= now;
    let key = groupKey(event);
    let overflow = false;
    if (!this.groups.has(key) && this.groups.size >= MAX_GROUPS) {
      key = `overflow\u0000${event.action}`;
      overflow = true;
    }
    let group = this.groups.get(key);
    if (!group) {
      const event0: AggregatedEvent = overflow
        ? { action: event.action, actor: { kind: "anonymous", id: null }, client: { ...event.client, ip: null } }
        : event;
      group = { event: event0, count: 0, firstAt: now, lastAt: now, requestIds: [], overflow };
      this.groups.set(key, group);
    }
    group.count += 1;
    group.lastAt = now;
    if (group.requestIds.length < MAX_SAMPLES) group.requestIds.push(event.client.requestId);
  }

  /** Writes one audit entry per group, in one transaction. Returns how many. */
  async flush(): Promise<number> {
    const groups = [...this.groups.values()];
    this.groups = new Map();
    this.windowStart = null;
    if (groups.length === 0) return 0;
    await auditTransaction(this.db, async (tx) => {
      for (const g of groups) {
        await recordAudit(tx, this.clock, {
          action: g.event.action,
          actor: g.event.actor,
          target: g.event.target,
          outcome: g.event.outcome ?? "denied",
          client: { ip: g.event.client.ip, userAgent: null, requestId: g.requestIds[0] ?? "aggregate" },
          detail: {
            ...g.event.group,
            aggregated: true,
            ...(g.overflow ? { overflow: true } : {}),
            count: g.count,
            firstAt: new Date(g.firstAt).toISOString(),
            lastAt: new Date(g.lastAt).toISOString(),
            windowSeconds: AGGREGATE_WINDOW_MS / 1000,
            sampleRequestIds: g.requestIds,
          },
        });
      }
    });
    return groups.length;
  }

  get pendingGroups(): number {
    return this.groups.size;
  }
}

function groupKey(event: AggregatedEvent): string {
  const facts = event.group
    ? Object.keys(event.group)
        .sort()
        .map((k) => [k, event.group?.[k]])
    : [];
  return JSON.stringify([
    event.action,
    event.actor.kind,
    event.actor.id,
    event.client.ip,
    event.target?.type ?? null,
    event.target?.id ?? null,
    event.outcome ?? "denied",
    facts,
  ]);
}

/** One aggregator per database handle (tests use several in one process). */
const aggregators = processSingleton("audit.aggregators", () => new Map<Executor, Aggregator>());

function aggregatorFor(db: Executor, clock: Clock): Aggregator {
  let found = aggregators.get(db);
  if (!found) {
    found = new Aggregator(db, clock);
    aggregators.set(db, found);
  }
  return found;
}

/**
 * Counts one event into its group. Pass the database handle (ctx.db), not a
 * transaction: entries are written later, in a transaction of their own.
 * Never throws: a failure to write the
 * previous window is logged, and the request being answered is not failed
 * because its audit aggregate could not be stored.
 */
export async function recordAggregated(db: Executor, clock: Clock, event: AggregatedEvent): Promise<void> {
  try {
    await aggregatorFor(db, clock).add(event);
  } catch (error) {
    getLogger().error({ err: error, action: event.action }, "could not write aggregated audit entries");
  }
}

/** Writes every pending group now (periodic flush, shutdown, tests). Returns the number of entries written. */
export async function flushAggregated(db?: Executor): Promise<number> {
  let written = 0;
  for (const [handle, aggregator] of aggregators) {
    if (db && handle !== db) continue;
    try {
      written += await aggregator.flush();
    } catch (error) {
      getLogger().error({ err: error }, "could not write aggregated audit entries");
    }
  }
  return written;
}

/** Groups waiting for their window to close (tests). */
export function pendingAggregated(db: Executor): number {
  return aggregators.get(db)?.pendingGroups ?? 0;
}

/** Forgets a database handle's aggregator after flushing it (tests closing their database). */
export async function forgetAggregator(db: Executor): Promise<void> {
  await flushAggregated(db);
  aggregators.delete(db);
}
