import { createHash } from "node:crypto";

/**
 * The audit log's hash chain. Each entry stores
 *
 *   hash = SHA-256( prev_hash ‖ "\n" ‖ canonical content )
 *
 * where prev_hash is the hash of the entry before it (GENESIS_HASH for the
 * first) and the canonical content is a JSON array of every stored column
 * in a fixed order, with the detail as the exact JSON text stored. Changing
 * any column of an entry breaks its own hash; deleting or reordering entries
 * breaks the link (prev_hash) of the entry after the gap.
 *
 * What it protects against, honestly: someone who edits the database file or
 * a backup without recomputing every later hash. Anyone who can write the
 * database AND recompute the chain from the edit onwards can forge it, as
 * with any unkeyed chain; the defence there is to keep the head hash
 * somewhere else (`gatehouse audit verify --json` prints it) and compare.
 * Deleting the newest entries is caught by comparing the head with SQLite's
 * AUTOINCREMENT counter (see verify.ts), unless that is edited too.
 *
 * `seq` and the derived `area` are not hashed: order is what the links
 * prove, and area is computed from action by SQLite.
 */
export const GENESIS_HASH = "0".repeat(64);
const CONTENT_VERSION = "gatehouse-audit-v1";

/** The hashed columns exactly as the database stores them. */
export interface ChainedContent {
  id: string;
  /** Milliseconds since the epoch (the integer in the `at` column). */
  at: number;
  actorKind: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  /** The JSON text in the `detail` column, byte for byte. */
  detail: string | null;
}

export function entryHash(prevHash: string, content: ChainedContent): string {
  const canonical = JSON.stringify([
    CONTENT_VERSION,
    content.id,
    content.at,
    content.actorKind,
    content.actorId,
    content.action,
    content.targetType,
    content.targetId,
    content.outcome,
    content.ip,
    content.userAgent,
    content.requestId,
    content.detail,
  ]);
  return createHash("sha256").update(prevHash).update("\n").update(canonical).digest("hex");
}

/**
 * A copy with object keys sorted at every depth, so the stored detail text is
 * canonical: parsing it and serialising it again gives the same bytes, and an
 * export's detail object can be re-hashed offline.
 */
export function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalize);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const inner = (value as Record<string, unknown>)[key];
      if (inner !== undefined) out[key] = canonicalize(inner);
    }
    return out;
  }
  return value;
}
