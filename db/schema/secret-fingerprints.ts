import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt } from "./columns";

/**
 * Fingerprints of the secrets every instance on this database must share, by
 * name (`auth_secret`): an HMAC of the secret under a fixed label, never the
 * secret. The first instance records its own; an instance started with
 * another value is refused at start (server/services/shared-secrets.ts), so a
 * fleet whose instances disagree fails loudly instead of signing people out at
 * random as the load balancer moves them.
 */
export const secretFingerprints = sqliteTable("secret_fingerprints", {
  name: text("name").primaryKey(),
  fingerprint: text("fingerprint").notNull(),
  createdAt: createdAt(),
});
