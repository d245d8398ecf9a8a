import type { Context } from "../context";
import { DecryptionError, type DecryptionFailure } from "../crypto/envelope";
import { AppError } from "../errors";
import { METRICS } from "../observability/metrics";
import { actorOf } from "../services/audit";
import { recordAggregated } from "./aggregate";

/**
 * A stored value that does not open while serving a request (tampered,
 * malformed, or under a key the ring lacks) is reported as what it is:
 * - a log line: the alert `decryption_failed` naming table, column, row and
 *   key id, written where the value is opened (contact-codec.ts, signing-keys.ts);
 * - an audit entry `encryption.value_rejected` on the row, aggregated per
 *   caller, row and minute (server/audit/aggregate.ts) so that reading a
 *   tampered row in a loop cannot flood the log;
 * - the counter `gatehouse_sealed_value_failures_total{table,reason}`;
 * - and the answer: a problem naming the reason, on both doors, instead of
 *   an anonymous 500. Still a 500 (the fault is in the stored data, not the
 *   request, and retrying will not help, so not a 503): problem type
 *   `urn:gatehouse:problem:sealed_value_failed_authentication` (tampered or
 *   malformed: it was altered after it was sealed, or sealed under another
 *   key with the same id) or `…:sealed_value_key_missing` (its key is not in
 *   the ring). Neither the value nor its ciphertext is ever in the answer.
 *
 * Called from the tRPC error mapping (server/trpc.ts), which both doors run.
 */
export const SEALED_FAILURE_REASONS: Record<DecryptionFailure, string> = {
  authentication_failed: "sealed_value_failed_authentication",
  malformed: "sealed_value_failed_authentication",
  unknown_key: "sealed_value_key_missing",
};

const MESSAGES: Record<DecryptionFailure, string> = {
  authentication_failed:
    "A stored value failed authentication: it was altered after it was sealed, or sealed under another key. It was not returned; the incident is logged and audited.",
  malformed:
    "A stored value failed authentication: it is not a well-formed sealed value. It was not returned; the incident is logged and audited.",
  unknown_key:
    "A stored value is sealed under an encryption key this server does not hold. It was not returned; the incident is logged and audited.",
};

/** The DecryptionError behind an error, if any (thrown as is, or as a tRPC error's cause). */
export function decryptionErrorOf(error: unknown): DecryptionError | undefined {
  if (error instanceof DecryptionError) return error;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause instanceof DecryptionError ? cause : undefined;
}

export async function noteSealedValueFailure(
  ctx: Pick<Context, "db" | "clock" | "principal" | "client">,
  where: string,
  error: DecryptionError,
): Promise<AppError> {
  METRICS.sealedValueFailures.inc([error.ref.table, error.reason]);
  await noteSealedValueAudit(ctx, where, error);
  return new AppError("INTERNAL", MESSAGES[error.reason], SEALED_FAILURE_REASONS[error.reason]);
}

/** The audit entry alone (the OAuth door counts where the signing key is opened). */
export async function noteSealedValueAudit(
  ctx: Pick<Context, "db" | "clock" | "principal" | "client">,
  where: string,
  error: DecryptionError,
): Promise<void> {
  await recordAggregated(ctx.db, ctx.clock, {
    action: "encryption.value_rejected",
    actor: actorOf(ctx.principal),
    client: ctx.client,
    outcome: "failure",
    target: { type: error.ref.table, id: error.ref.rowId },
    group: { column: error.ref.column, keyId: error.keyId, reason: error.reason, procedure: where },
  });
}
