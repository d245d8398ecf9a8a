import { z } from "zod";
import { REENCRYPTION_STATUSES } from "@/db/schema";
import { encryptionStatus } from "../../services/encryption-keys";
import { adminProcedure, router } from "../../trpc";

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
  job: z
    .object({
      id: z.number().int(),
      targetKeyId: z.string(),
      status: z.enum(REENCRYPTION_STATUSES),
      total: z.number().int(),
      done: z.number().int(),
      startedAt: z.string(),
      updatedAt: z.string(),
      finishedAt: z.string().nullable(),
      stalled: z.boolean(),
    })
    .nullable(),
  problems: z.array(z.string()),
});

/**
 * The dashboard's "Encryption keys" section. Read-only on purpose: rotating
 * and removing keys handle key material and the data folder, so they stay
 * with the operator's shell (`gatehouse keys …`); the page shows ids and
 * counts, never a key.
 */
export const adminEncryptionRouter = router({
  status: adminProcedure
    .input(z.void())
    .output(statusSchema)
    .query(({ ctx }) => encryptionStatus({ db: ctx.db, clock: ctx.clock, keyring: ctx.keyring })),
});
