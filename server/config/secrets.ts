import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

const secretsFileSchema = z.object({
  version: z.literal(1),
  authSecret: z.string().min(32),
});
export type StoredSecrets = z.infer<typeof secretsFileSchema>;

export const SECRETS_FILE = "secrets.json";

/**
 * Returns the secrets kept in the data folder, generating them once with the
 * CSPRNG on first start. The file is created with O_EXCL and mode 0600, so two
 * processes starting together agree on one set and no other local user can
 * read it. Secrets are never printed.
 */
export function loadOrCreateSecrets(dataDir: string): StoredSecrets {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, SECRETS_FILE);
  const fresh: StoredSecrets = { version: 1, authSecret: randomBytes(32).toString("base64url") };
  try {
    fs.writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`, { flag: "wx", mode: 0o600 });
    return fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new Error(`${file} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${file}`);
  }
  let content: unknown;
  try {
    content = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    // Not the parser's message: it quotes the file, which holds secrets.
    throw new Error(`${file} is not a valid Gatehouse secrets file`);
  }
  const parsed = secretsFileSchema.safeParse(content);
  if (!parsed.success) throw new Error(`${file} is not a valid Gatehouse secrets file`);
  return parsed.data;
}
