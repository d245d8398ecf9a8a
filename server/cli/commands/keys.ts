import { z } from "zod";
import { KEY_ID_PATTERN } from "../../crypto/keys";
import { getRuntime } from "../../runtime";
import { type EncryptionStatus, encryptionStatus, removeKey, rotateKey } from "../../services/encryption-keys";
import { reencryptAll } from "../../services/reencryption";
import { table } from "../output";
import { createProgressBar } from "../progress";
import { defineCommand } from "../registry";

/**
 * `keys …` commands: the data-encryption keyring. The same services feed the
 * dashboard's "Encryption keys" page; every change is audited (actor `cli`).
 * Key material is printed only where the operator must carry it somewhere
 * this process cannot write: a new ENCRYPTION_KEYS value.
 */

const CHECK_TEXT: Record<EncryptionStatus["keys"][number]["check"], string> = {
  ok: "ok",
  unused: "unused",
  replaced: "REPLACED: not the key recorded for this id",
  wrong_key: "WRONG KEY: does not open its values",
  tampered: "TAMPERED values",
};

const keyId = z.string().regex(KEY_ID_PATTERN, "must be 1 to 32 letters, digits, _ or -");

function describeStatus(status: EncryptionStatus): string {
  const lines = [
    `Keys from ${status.source === "env" ? "ENCRYPTION_KEYS" : status.source === "file" ? "DATA_DIR/secrets.json" : status.source}:`,
    table(status.keys, [
      { header: "KEY", value: (k) => k.id },
      { header: "FINGERPRINT", value: (k) => k.fingerprint },
      { header: "ACTIVE", value: (k) => (k.active ? "yes" : "") },
      { header: "VALUES", value: (k) => String(k.values) },
      { header: "CHECK", value: (k) => CHECK_TEXT[k.check] },
      { header: "CREATED", value: (k) => k.createdAt ?? "" },
    ]),
  ];
  for (const problem of status.problems) lines.push(`! ${problem}.`);
  if (status.unsealedValues > 0)
    lines.push(`${status.unsealedValues} values are not encrypted yet (sealed at the next start).`);
  lines.push(
    status.rowsToReencrypt > 0
      ? `${status.rowsToReencrypt} rows have values under an older key: run gatehouse keys reencrypt.`
      : "Every value is under the active key.",
  );
  const job = status.job;
  if (job) {
    const state =
      job.status === "running" ? (job.stalled ? "interrupted (run it again to resume)" : "running") : job.status;
    lines.push(
      `Last re-encryption #${job.id} to ${job.targetKeyId}: ${state}, ${job.done}/${Math.max(job.total, job.done)} rows.`,
    );
  }
  return lines.join("\n");
}

defineCommand({
  path: ["keys", "list"],
  summary:
    "Show the encryption keys (id, fingerprint), which is active, how many stored values each protects, whether each opens a sample of them, and re-encryption progress; exit 1 on a problem.",
  flags: {},
  async run(ctx) {
    // Reports a ring that does not fit instead of refusing it, like every other command does.
    const status = await encryptionStatus(await ctx.services({ checkKeys: false }));
    return { json: status, text: describeStatus(status), exitCode: status.problems.length > 0 ? 1 : 0 };
  },
});

defineCommand({
  path: ["keys", "rotate"],
  summary:
    "Add a new encryption key and make it active; then run `keys reencrypt`. With ENCRYPTION_KEYS, prints the new value to roll out.",
  flags: {
    id: {
      type: "string",
      schema: keyId.optional(),
      placeholder: "ID",
      description: "the new key's id (default: the next k<n>)",
    },
  },
  async run(ctx, input) {
    const svc = await ctx.services();
    const { config } = getRuntime();
    const result = await rotateKey(svc, {
      dataDir: config.dataDir,
      envKeys: config.encryptionKeys ?? null,
      keyId: input.id,
    });
    if (result.applied) {
      return {
        json: result,
        text: `Key ${result.keyId} is now active (was ${result.previousKeyId}); running servers switch within a second.\nNext: gatehouse keys reencrypt`,
      };
    }
    return {
      json: result,
      text: [
        `Generated key ${result.keyId}. The keys come from ENCRYPTION_KEYS, which this command cannot change.`,
        "Set this value on every server and restart them (with several servers, first roll out the new key",
        "unstarred so that all can read it, then star it), then run: gatehouse keys reencrypt",
        "",
        `ENCRYPTION_KEYS=${result.encryptionKeys}`,
      ].join("\n"),
    };
  },
});

defineCommand({
  path: ["keys", "reencrypt"],
  summary:
    "Re-encrypt every stored value under the active key, in batches (each its own transaction); resumes where an interrupted run stopped.",
  flags: {
    batchSize: {
      type: "string",
      schema: z.coerce.number().int().min(1).max(10_000).default(500),
      placeholder: "N",
      description: "rows per transaction (default 500)",
    },
    pauseMs: {
      type: "string",
      schema: z.coerce.number().int().min(0).max(60_000).default(0),
      placeholder: "MS",
      description: "pause between batches, to leave room for a busy server (default 0)",
    },
  },
  async run(ctx, input) {
    const svc = await ctx.services();
    const bar = createProgressBar("re-encrypting");
    let resumed = false;
    const job = await reencryptAll(svc, {
      batchSize: input.batchSize,
      pauseMs: input.pauseMs,
      onProgress: (p) => {
        if (p.resumed && !resumed) {
          resumed = true;
          process.stderr.write(`resuming re-encryption #${p.jobId} at ${p.done}/${p.total} rows\n`);
        }
        bar.update(p.done, p.total);
      },
    });
    bar.finish();
    return {
      json: { job },
      text: `Re-encryption #${job.id} finished: ${job.done} rows now under key ${job.targetKeyId}.`,
    };
  },
});

defineCommand({
  path: ["keys", "remove"],
  summary: "Remove an encryption key, only when it is not active and no stored value uses it any more.",
  flags: {
    id: { type: "string", schema: keyId, placeholder: "ID", description: "the key to remove" },
  },
  async run(ctx, input) {
    const svc = await ctx.services();
    const { config } = getRuntime();
    const result = await removeKey(svc, {
      dataDir: config.dataDir,
      envKeys: config.encryptionKeys ?? null,
      keyId: input.id,
    });
    if (result.applied) return { json: result, text: `Removed key ${result.keyId}.` };
    return {
      json: result,
      text: [
        `No value uses key ${result.keyId} any more. It comes from ENCRYPTION_KEYS: remove it there and restart:`,
        "",
        `ENCRYPTION_KEYS=${result.encryptionKeys}`,
      ].join("\n"),
    };
  },
});
