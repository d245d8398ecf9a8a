import { randomInt } from "node:crypto";
import { and, count, eq, isNull } from "drizzle-orm";
import type { Executor } from "@/db";
import { recoveryCodes } from "@/db/schema";
import { hashToken } from "../auth/api-token";
import type { Clock } from "../clock";
import { newId } from "../ids";

/** Ten codes per set, as the issue asks. */
export const RECOVERY_CODE_COUNT = 10;
/**
 * Lower-case letters and digits without the look-alikes (0/o, 1/l/i): 31
 * symbols, 10 of them per code ≈ 49.5 bits. Each code is random and single
 * use, and guesses are held by the sign-in lockout, so a fast hash (SHA-256,
 * as for API tokens) is enough; a slow one would only slow sign-in.
 */
const ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";
const CODE_LENGTH = 10;

/** "abcde-fghij": how a code is shown. */
export function newRecoveryCode(): string {
  let out = "";
  for (let i = 0; i < CODE_LENGTH; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return `${out.slice(0, 5)}-${out.slice(5)}`;
}

/** What people type: any case, with or without the dash or spaces. Null when it cannot be a code. */
export function normalizeRecoveryCode(input: string): string | null {
  const compact = input.toLowerCase().replace(/[\s-]/g, "");
  if (compact.length !== CODE_LENGTH) return null;
  for (const ch of compact) if (!ALPHABET.includes(ch)) return null;
  return compact;
}

export function looksLikeRecoveryCode(input: string): boolean {
  return normalizeRecoveryCode(input) !== null;
}

const hashOf = (normalized: string) => hashToken(`recovery:${normalized}`);

/** Replaces a user's set with a fresh one; returns the codes, the only time they exist in plaintext. */
export async function replaceRecoveryCodes(tx: Executor, clock: Clock, userId: string): Promise<string[]> {
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run();
  const now = clock.now();
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await tx
    .insert(recoveryCodes)
    .values(
      codes.map((code) => ({
        id: newId("recoveryCode"),
        userId,
        codeHash: hashOf(normalizeRecoveryCode(code) as string),
        createdAt: now,
      })),
    )
    .run();
  return codes;
}

/**
 * Uses one code: true when it was an unused code of this user, now used.
 * The update is the check ("… where used_at is null"), so two requests racing
 * with the same code cannot both succeed, in one process or several.
 */
export async function consumeRecoveryCode(tx: Executor, clock: Clock, userId: string, input: string): Promise<boolean> {
  const normalized = normalizeRecoveryCode(input);
  if (!normalized) return false;
  const changed = (
    await tx
      .update(recoveryCodes)
      .set({ usedAt: clock.now() })
      .where(
        and(
          eq(recoveryCodes.userId, userId),
          eq(recoveryCodes.codeHash, hashOf(normalized)),
          isNull(recoveryCodes.usedAt),
        ),
      )
      .run()
  ).changes;
  return changed === 1;
}

export async function recoveryCodesLeft(db: Executor, userId: string): Promise<number> {
  return (
    (
      await db
        .select({ n: count() })
        .from(recoveryCodes)
        .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
        .get()
    )?.n ?? 0
  );
}

export async function deleteRecoveryCodes(tx: Executor, userId: string): Promise<number> {
  return (await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run()).changes;
}
