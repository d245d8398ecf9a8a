import { getRuntime } from "../../runtime";
import { recordAudit } from "../../services/audit";
import { acceptAuthSecret } from "../../services/shared-secrets";
import { defineCommand } from "../registry";

/**
 * `secrets accept-auth-secret`: after a deliberate change of AUTH_SECRET, the
 * database takes the new one as the fleet's (server/services/shared-secrets.ts);
 * instances still on the old secret are refused at their next start.
 */
defineCommand({
  path: ["secrets", "accept-auth-secret"],
  summary:
    "Record this environment's AUTH_SECRET as the one every instance must have (after changing it on purpose: every session ends).",
  flags: {},
  async run(ctx) {
    const svc = await ctx.services();
    const fingerprint = await svc.db.transaction(async (tx) => {
      const recorded = await acceptAuthSecret(tx, svc.clock, getRuntime().config.authSecret);
      await recordAudit(tx, svc.clock, {
        actor: svc.actor,
        action: "secrets.accept_auth_secret",
        client: svc.client,
        detail: { fingerprint: recorded },
      });
      return recorded;
    });
    return {
      json: { fingerprint },
      text: `AUTH_SECRET with fingerprint ${fingerprint} is now the one every instance must be started with.`,
    };
  },
});
