/**
 * The one redaction step, used by the audit log's detail and by the
 * application log. It works on key names (so a secret is dropped wherever it
 * appears in a structure) and bounds size and depth (so a hostile input cannot
 * blow up a log line).
 */
const SENSITIVE_KEY =
  /pass(word)?|secret|token|authorization|cookie|^code$|verifier|api[-_]?key|private|credential|^otp$/i;

export const REDACTED = "[redacted]";
const MAX_DEPTH = 4;
const MAX_STRING = 200;
const MAX_KEYS = 30;
const MAX_ITEMS = 20;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

export function redact(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === "string") return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return "[truncated]";
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((item) => redact(item, depth + 1));
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>).slice(0, MAX_KEYS)) {
      out[key] = isSensitiveKey(key) ? REDACTED : redact(inner, depth + 1);
    }
    return out;
  }
  return String(value);
}

export function redactRecord(value: Record<string, unknown>): Record<string, unknown> {
  return redact(value) as Record<string, unknown>;
}
