import { getTableName } from "drizzle-orm";
import { z } from "zod";
import { closeDatabase, isPostgresUrl, openDatabase, type SqliteDb } from "@/db";
import { type CopyProgress, copyToPostgres, tablesInCopyOrder } from "../../services/db-copy";
import { SetupError } from "../errors";
import { createProgressBar } from "../progress";
import { defineCommand } from "../registry";

/**
 * `db copy --to postgres://…` (server/services/db-copy.ts): moves an
 * installation from the embedded SQLite file into an empty PostgreSQL
 * database, with a progress bar; run again after an interruption, it goes on
 * where it stopped. Stop the servers first: what they write meanwhile is not
 * copied.
 */

const postgresUrl = z.string().max(4096).refine(isPostgresUrl, "must be a postgres:// or postgresql:// URL");

defineCommand({
  path: ["db", "copy"],
  summary:
    "Copy this installation's SQLite database into an empty PostgreSQL database (every table, values and audit chain unchanged), resumable; then start the servers with DATABASE_URL.",
  flags: {
    to: {
      type: "string",
      schema: postgresUrl,
      placeholder: "URL",
      description: "the PostgreSQL database (postgres://…)",
    },
  },
  async run(ctx, input) {
    const svc = await ctx.services({ checkKeys: false });
    if (!svc.db.$client) {
      throw new SetupError(
        "DATABASE_URL is set: `db copy` reads the embedded SQLite file; run it without DATABASE_URL",
      );
    }
    const source = svc.db as SqliteDb;
    const totals = new Map(
      tablesInCopyOrder().map((table) => {
        const name = getTableName(table);
        return [name, (source.$client.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n];
      }),
    );
    const total = [...totals.values()].reduce((sum, n) => sum + n, 0);
    const done = new Map<string, number>();
    const bar = createProgressBar("copying");
    const target = openDatabase(input.to);
    try {
      const report = await copyToPostgres(source, target, (progress: CopyProgress) => {
        done.set(progress.table, progress.done);
        bar.update(
          [...done.values()].reduce((sum, n) => sum + n, 0),
          total,
        );
      });
      const lines = [
        `${report.resumed ? "Finished the interrupted copy" : "Copied"}: ${report.rows} rows in ${report.tables.length} tables; the audit chain verifies (${report.chain.checked} entries).`,
        "Start every instance with DATABASE_URL set to that database, and the same secrets (docs/deploy.md).",
      ];
      return { json: report, text: lines.join("\n") };
    } finally {
      bar.finish();
      await closeDatabase(target);
    }
  },
});
