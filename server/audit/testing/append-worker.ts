/**
 * A second process appending audit entries to the same database file, for
 * chain-concurrency.test.ts. Usage: tsx append-worker.ts <file> <count> <name>
 * Prints one JSON line: how many entries it wrote and how many transactions
 * SQLite refused (and were retried).
 */

import fs from "node:fs";
import { openSqlite } from "@/db";
import { systemClock } from "../../clock";
import { CLI_ACTOR, recordAudit } from "../../services/audit";

const [file, countText, name] = process.argv.slice(2);
const db = openSqlite(file as string);
const total = Number(countText);

// Start together: say we are ready, then wait for the parent's go file, so
// both writers really overlap (process start-up times differ by seconds).
process.stdout.write("ready\n");
while (!fs.existsSync(`${file}.go`)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);

let written = 0;
let refused = 0;
while (written < total) {
  try {
    // Half DEFERRED (drizzle's default, what the services use), half IMMEDIATE.
    await db.transaction(
      async (tx) => {
        // Read first, as services do before they write: the snapshot starts here.
        tx.$count(tx._.fullSchema.users);
        await recordAudit(tx, systemClock, {
          actor: CLI_ACTOR,
          action: "test.append",
          client: { ip: null, userAgent: null, requestId: `${name}-${written}` },
          detail: { worker: name, n: written },
        });
      },
      { behavior: written % 2 === 0 ? "deferred" : "immediate" },
    );
    written += 1;
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    if (!code.startsWith("SQLITE_BUSY")) throw error;
    refused += 1;
  }
}
db.$client.close();
process.stdout.write(`${JSON.stringify({ name, written, refused })}\n`);
