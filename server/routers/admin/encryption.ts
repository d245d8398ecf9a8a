import { z } from "zod";
import { REENCRYPTION_STATUSES } from "@/db/schema";
import { requireStepUp } from "../../auth/step-up";
import { KEY_ID_PATTERN } from "../../crypto/keys";
import { AppError } from "../../errors";
import { getLogger } from "../../logger";
import { encryptionStatus, rotateKeyStaged, STALLED_AFTER_MS } from "../../services/encryption-keys";
import { latestJob, reencryptAll, toJobSummary } from "../../services/reencryption";
import { adminProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";

const TAGS = ["admin-encryption"];

const jobSchema = z
  .object({
    id: z.number().int(),
    targetKeyId: z.string(),
    status: z.enum(REENCRYPTION_STATUSES),
    total: z.number().int(),
    done: z.number().int(),
    startedAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: "ReencryptionJob" });

const statusSchema = z.object({
  source: z.enum(["env", "file", "memory"]),
  keys: z.array(
    z.object({
      id: z.string(),
      fingerprint: z.string(),
      recordedFingerprint: z.string().nullable(),
      active: z.boolean(),
      createdAt: z.string().nullable(),
      values: z.number().int(),
      check: z.enum(["ok", "unused", "replaced", "wrong_key", "tampered"]),
      sampled: z.number().int(),
      failed: z.number().int(),
    }),
  ),
  unknownKeys: z.array(z.object({ id: z.string(), values: z.number().int() })),
  unsealedValues: z.number().int(),
  rowsToReencrypt: z.number().int(),
  job: jobSchema.extend({ stalled: z.boolean() }).nullable(),
  problems: z.array(z.string()),
});

/** Re-encryption runs of this process: one at a time here; another process's live job is a 409 too. */
let runningHere: Promise<unknown> | null = null;

/**
 * The dashboard's "Encryption keys" section and /api/v1/admin/encryption.
 * Ids, fingerprints and counts only: no answer ever carries key material.
 * Rotation and re-encryption are the CLI's services (`gatehouse keys …`):
 * rotation here is staged (services/encryption-keys.ts, rotateKeyStaged) so
 * that every worker holds the new key before any seals with it; with keys in
 * ENCRYPTION_KEYS it is a 409 (the server cannot change its environment).
 * Removing a key stays with the CLI.
 */
export const adminEncryptionRouter = router({
  status: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/encryption",
        tags: TAGS,
        summary: "The encryption keys (ids, fingerprints, counts) and re-encryption progress",
      },
    })
    .input(z.void())
    .output(statusSchema)
    .query(({ ctx }) => encryptionStatus({ db: ctx.db, clock: ctx.clock, keyring: ctx.keyring })),

  rotate: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/admin/encryption/rotate",
        tags: TAGS,
        summary: "Add a new encryption key and make it active",
        description:
          "Takes about two seconds: the key is first added inactive, and becomes active once every server has loaded it. Then start re-encryption. 409 keys_in_environment when the keys come from ENCRYPTION_KEYS: rotate them where they are kept.",
      },
    })
    .input(
      z.strictObject({
        keyId: z
          .string()
          // The pattern allows 32 characters at most; said as a bound too, so the document states it.
          .max(32, "must be 1 to 32 letters, digits, _ or -")
          .regex(KEY_ID_PATTERN, "must be 1 to 32 letters, digits, _ or -")
          .optional()
          .describe("The new key's id (default: the next k<n>); ids are never reused"),
      }),
    )
    .output(z.object({ keyId: z.string(), previousKeyId: z.string(), fingerprint: z.string() }))
    .mutation(async ({ ctx, input }) => {
      await requireStepUp(ctx); // rotating keys (server/auth/step-up.ts)
      if (ctx.keyring?.source === "file" && !ctx.dataDir) {
        throw new AppError("CONFLICT", "this server does not know its data folder", "keyring_fixed");
      }
      return rotateKeyStaged(serviceContext(ctx), { dataDir: ctx.dataDir ?? "", keyId: input.keyId });
    }),

  reencrypt: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/admin/encryption/reencrypt",
        tags: TAGS,
        summary: "Start re-encrypting every stored value under the active key",
        description:
          "Starts (or resumes) the job in the background and answers with it; follow it on GET /admin/encryption. 409 reencryption_running while a job is alive.",
      },
    })
    .input(
      z.strictObject({
        batchSize: z.number().int().min(1).max(10_000).default(500).describe("Rows per transaction"),
        // At least 1 ms: each pause gives the event loop back, so this worker keeps answering requests.
        pauseMs: z.number().int().min(1).max(60_000).default(10).describe("Pause between batches (ms)"),
      }),
    )
    .output(jobSchema)
    .mutation(async ({ ctx, input }) => {
      const svc = serviceContext(ctx);
      const current = await latestJob(ctx.db);
      const alive =
        current?.status === "running" && ctx.clock.now().getTime() - current.updatedAt.getTime() < STALLED_AFTER_MS;
      if (runningHere || alive) {
        throw new AppError(
          "CONFLICT",
          `Re-encryption${current ? ` #${current.id}` : ""} is already running; follow it on GET /admin/encryption`,
          "reencryption_running",
        );
      }
      let failure: unknown = null;
      let markStarted: () => void = () => {};
      // Settles once the job row is written (the run's first progress report), whatever the store's latency.
      const started = new Promise<void>((resolve) => {
        markStarted = resolve;
      });
      const run = reencryptAll(svc, {
        batchSize: input.batchSize,
        pauseMs: input.pauseMs,
        onProgress: () => markStarted(),
      })
        .catch((error: unknown) => {
          failure = error;
          getLogger().error(
            {
              requestId: ctx.client.requestId,
              err: { name: (error as Error)?.name, message: (error as Error)?.message },
            },
            "re-encryption stopped",
          );
        })
        .finally(() => {
          runningHere = null;
        });
      runningHere = run;
      // The job row is written before the first batch; a refusal up front (a value under a key
      // this server does not hold, the active key changing) is the caller's answer.
      await Promise.race([started, run]);
      if (failure) throw failure;
      const job = await latestJob(ctx.db);
      if (!job) throw new AppError("CONFLICT", "Re-encryption did not start", "reencryption_not_started");
      return toJobSummary(job);
    }),
});
