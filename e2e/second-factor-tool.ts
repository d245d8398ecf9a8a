/**
 * The e2e specs' stand-in for a person's authenticator app, run as a child
 * process on the e2e server's data folder (like the CLI), through the same
 * services as the account page:
 *
 *   node --import tsx e2e/second-factor-tool.ts enrol <email>           -> {"secret","recoveryCodes"}
 *   node --import tsx e2e/second-factor-tool.ts recovery-codes <email>  -> {"recoveryCodes"}
 *   node --import tsx e2e/second-factor-tool.ts forget-checks <email>   -> {} (as if 10 minutes passed)
 *
 * Test tooling only: nothing in the product calls it.
 */

import { eq } from "drizzle-orm";
import { closeDatabase } from "@/db";
import { sessions } from "../db/schema";
import { getRuntime } from "../server/runtime";
import { CLI_ACTOR } from "../server/services/audit";
import { confirmTotpEnrolment, regenerateRecoveryCodes, startTotpEnrolment } from "../server/services/second-factors";
import { totpCodeAt } from "../server/services/second-factors-totp";
import { findUserByEmail } from "../server/services/users";

async function main() {
  const [command, email] = process.argv.slice(2);
  const runtime = getRuntime();
  const svc = {
    db: runtime.db,
    clock: runtime.clock,
    actor: CLI_ACTOR,
    client: { ip: null, userAgent: "e2e-second-factor-tool", requestId: "e2e" },
    keyring: runtime.keyring,
  };
  const user = await (email ? findUserByEmail(runtime.db, email) : undefined);
  if (!user) throw new Error(`no user ${email}`);
  if (command === "enrol") {
    const started = await startTotpEnrolment(svc, user);
    // The first code of the enrolment uses the step before now, so the next sign-in can use now's.
    const code = totpCodeAt(started.secret, Date.now() - 30_000);
    const { recoveryCodes } = await confirmTotpEnrolment(svc, user.id, started.factorId, code);
    process.stdout.write(JSON.stringify({ secret: started.secret, recoveryCodes: recoveryCodes ?? [] }));
  } else if (command === "recovery-codes") {
    process.stdout.write(JSON.stringify({ recoveryCodes: await regenerateRecoveryCodes(svc, user.id) }));
  } else if (command === "forget-checks") {
    // The user's sessions last passed a second-factor check long ago: the next step-up action asks again.
    await runtime.db.update(sessions).set({ secondFactorAt: null }).where(eq(sessions.userId, user.id)).run();
    process.stdout.write("{}");
  } else {
    throw new Error(`unknown command ${command}`);
  }
  await closeDatabase(runtime.db);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
