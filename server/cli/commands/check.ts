import { formatPostureText } from "../../posture/format";
import { postureReport } from "../../posture/report";
import { getRuntime } from "../../runtime";
import { defineCommand } from "../registry";

/**
 * `gatehouse check`: the deployment posture (server/posture), like Django's
 * `check --deploy`. Exit code 1 when any rule fails, 0 otherwise (warnings
 * allowed), so a deploy pipeline can stop on it.
 */
defineCommand({
  path: ["check"],
  summary:
    "Check the deployment's posture (https, proxies, secrets and folder modes, key ages, second factors, tokens, CORS, rate-limit store, audit retention, backups, audit head); exit code 1 on any fail.",
  flags: {},
  async run(ctx) {
    // Reports keys that do not fit instead of refusing to run, like `keys list`.
    const svc = await ctx.services({ checkKeys: false });
    const report = await postureReport({
      db: svc.db,
      clock: svc.clock,
      config: getRuntime().config,
      keyring: svc.keyring ?? null,
      env: process.env,
    });
    return { json: report, text: formatPostureText(report), exitCode: report.counts.fail > 0 ? 1 : 0 };
  },
});
