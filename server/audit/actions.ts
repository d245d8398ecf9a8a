import { sql } from "drizzle-orm";
import type { Executor } from "@/db";

/**
 * The distinct actions in the log, grouped by area (`contact.create` is in
 * area `contact`), for the Audit page's action filter. A plain
 * `SELECT DISTINCT action` would read the whole action index (a million
 * entries); this skip-scan seeks once per distinct action instead, so it
 * costs about (number of actions) index lookups whatever the log's size.
 * Actions come from the log itself, so features that add actions (CORS,
 * rate limits, OAuth …) appear without registering anywhere.
 */
export async function listAuditActions(db: Executor): Promise<Array<{ area: string; actions: string[] }>> {
  const rows = await db.all<{ action: string }>(sql`
    with recursive distinct_actions(action) as (
      select min(action) from audit_log
      union all
      select (select min(action) from audit_log where action > distinct_actions.action)
      from distinct_actions
      where distinct_actions.action is not null
    )
    select action from distinct_actions where action is not null limit 500
  `);
  const areas = new Map<string, string[]>();
  for (const { action } of rows) {
    const area = action.split(".", 1)[0] ?? action;
    const list = areas.get(area) ?? [];
    list.push(action);
    areas.set(area, list);
  }
  return [...areas.entries()].map(([area, actions]) => ({ area, actions }));
}
