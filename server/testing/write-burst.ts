import { closeDatabase } from "@/db";
import { getRuntime } from "../runtime";
import { SYSTEM_ACTOR } from "../services/audit";
import { createContact } from "../services/contacts";

/**
 * A writer for the backup test (server/services/backup.test.ts): in its own
 * process and database connection, as a server would be, it creates contacts
 * through the service layer (sealed, audited, each in its own transaction)
 * for BURST_OWNER until its standard input closes, and prints each id only
 * after createContact returned: a printed id is an acknowledged write.
 */
const owner = process.env.BURST_OWNER ?? "";
const runtime = getRuntime();
const svc = {
  db: runtime.db,
  clock: runtime.clock,
  actor: SYSTEM_ACTOR,
  client: { ip: null, userAgent: null, requestId: "burst" },
  keyring: runtime.keyring,
};
let stop = false;
process.stdin.on("end", () => {
  stop = true;
});
process.stdin.resume();
for (let i = 0; !stop; i++) {
  const contact = await createContact(svc, owner, {
    name: `Burst ${i}`,
    email: `b${i}@example.com`,
    notes: `note ${i}`,
  });
  process.stdout.write(`${contact.id}\n`);
  await new Promise((resolve) => setImmediate(resolve));
}
await closeDatabase(runtime.db);
