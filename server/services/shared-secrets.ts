import { createHmac } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Executor } from "@/db";
import { secretFingerprints } from "@/db/schema";
import type { Clock } from "../clock";
import { ConfigError } from "../config";

/** The label the fingerprint is an HMAC of: a fingerprint tells secrets apart, it does not reveal one. */
const LABEL = "gatehouse shared-secret fingerprint v1";

export function secretFingerprint(secret: string): string {
  return createHmac("sha256", secret).update(LABEL).digest("hex").slice(0, 16);
}

/**
 * The session secret (AUTH_SECRET) must be the same on every instance of a
 * database: a cookie set by one is read by the next. Records its fingerprint
 * on first start; refuses to start (ConfigError: one line) an instance whose
 * secret has another one. Run once per start, before the server listens.
 */
export async function assertSharedSecretsFit(
  db: Executor,
  clock: Clock,
  secrets: { authSecret: string },
): Promise<void> {
  const fingerprint = secretFingerprint(secrets.authSecret);
  await db.transaction(async (tx) => {
    const recorded = await tx
      .select({ fingerprint: secretFingerprints.fingerprint })
      .from(secretFingerprints)
      .where(eq(secretFingerprints.name, "auth_secret"))
      .get();
    if (!recorded) {
      await tx.insert(secretFingerprints).values({ name: "auth_secret", fingerprint, createdAt: clock.now() }).run();
      return;
    }
    if (recorded.fingerprint !== fingerprint) {
      throw new ConfigError(
        `AUTH_SECRET does not match the one this database was started with (fingerprint ${fingerprint}, recorded ${recorded.fingerprint}): give every instance the same AUTH_SECRET (docs/deploy.md)`,
      );
    }
  });
}

/**
 * A deliberate change of AUTH_SECRET (it signs every session out): records the
 * fingerprint of the secret given now, after which instances still on the old
 * one are refused at start. `gatehouse secrets accept-auth-secret`.
 */
export async function acceptAuthSecret(db: Executor, clock: Clock, authSecret: string): Promise<string> {
  const fingerprint = secretFingerprint(authSecret);
  await db
    .insert(secretFingerprints)
    .values({ name: "auth_secret", fingerprint, createdAt: clock.now() })
    .onConflictDoUpdate({ target: secretFingerprints.name, set: { fingerprint, createdAt: clock.now() } })
    .run();
  return fingerprint;
}
