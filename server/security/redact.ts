/**
 * The one redaction step, used by the audit log's detail
 * (server/services/audit.ts) and by the application log (server/logger.ts).
 *
 * Two nets, because either alone leaks:
 * - by key name: a value under `password`, `token`, `authorization`,
 *   `cookie`, `code`, `secret`, a key or ciphertext field … is dropped
 *   wherever it appears in a structure, whatever it looks like;
 * - by shape: inside any remaining string, anything that looks like a
 *   Gatehouse API token (`gth_…`), a `Bearer …` credential, a JWT or a sealed
 *   field value (`v1.<keyId>.<nonce>.<body>`, server/crypto/envelope.ts) is
 *   cut out, so a secret that reached a message, a URL or an error text under
 *   an innocent key still never reaches a log line or an audit row.
 *
 * It also bounds size and depth (so a hostile input cannot blow up a log
 * line) and reduces an Error to its name and scrubbed message (never a stack,
 * which can carry SQL parameters).
 */
const SENSITIVE_KEY = new RegExp(
  [
    "pass(word|wd|phrase)?",
    "secret",
    "token",
    "authorization",
    "cookie",
    "^codes?$",
    "verifier",
    "api[-_]?key",
    "private",
    "credential",
    "^otp$",
    "signature",
    "salt",
    "ciphertext",
    "sealed",
    "(signing|encryption|root|master|data|hmac)[-_]?keys?$",
  ].join("|"),
  "i",
);

/**
 * Secret-looking substrings of any string. Each pattern is anchored on a
 * prefix that ordinary text rarely has, so scrubbing does not eat emails,
 * ids or user agents.
 */
const SECRET_SHAPES: RegExp[] = [
  // Gatehouse API tokens (server/auth/api-token.ts), also a truncated or mistyped one.
  /gth_[0-9A-Za-z]{8,}/g,
  // OAuth client secrets and refresh tokens (server/oauth/credentials.ts).
  /gh[sr]_[0-9A-Za-z]{8,}/g,
  // Any bearer credential: whatever follows the scheme is the secret.
  /\bBearer\s+[^\s,;"']+/gi,
  // JWTs: base64url JSON header starting `{"` is always `eyJ`.
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
  // Sealed (encrypted) field values, server/crypto/envelope.ts.
  /\bv1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{20,}/g,
];

export const REDACTED = "[redacted]";
const MAX_DEPTH = 4;
const MAX_STRING = 200;
const MAX_KEYS = 30;
const MAX_ITEMS = 20;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/** Cuts secret-looking substrings out of one string (see SECRET_SHAPES). */
export function scrubText(text: string): string {
  let out = text;
  for (const shape of SECRET_SHAPES) {
    shape.lastIndex = 0;
    out = out.replace(shape, (match) => (/^bearer\s/i.test(match) ? `${match.split(/\s+/)[0]} ${REDACTED}` : REDACTED));
  }
  return out;
}

function boundString(text: string): string {
  // Scrub before cutting, so a secret straddling the cut is still recognised.
  const scrubbed = scrubText(text);
  return scrubbed.length > MAX_STRING ? `${scrubbed.slice(0, MAX_STRING)}…` : scrubbed;
}

export function redact(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === "string") return boundString(value);
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  // An error keeps its name and the first line of its message, scrubbed; its
  // stack and the rest never leave (a DrizzleQueryError's message goes on
  // with "params: …", the query's parameters).
  if (value instanceof Error) {
    return { name: boundString(value.name), message: boundString(value.message.split("\n", 1)[0] ?? "") };
  }
  if (depth >= MAX_DEPTH) return "[truncated]";
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((item) => redact(item, depth + 1));
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>).slice(0, MAX_KEYS)) {
      out[key] = isSensitiveKey(key) ? REDACTED : redact(inner, depth + 1);
    }
    return out;
  }
  return boundString(String(value));
}

export function redactRecord(value: Record<string, unknown>): Record<string, unknown> {
  return redact(value) as Record<string, unknown>;
}
