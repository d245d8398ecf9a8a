import { SIGNING_KEY_ROTATION_MS } from "../../oauth/signing-keys";
import { DAY_MS, type PostureFacts } from "../facts";
import type { PostureRule } from "../types";

/**
 * Field-encryption keys have no automatic rotation (a rotation needs an
 * operator: `keys rotate`, then `keys reencrypt`); a year is the usual
 * cryptoperiod for a data-encryption key (NIST SP 800-57 part 1 §5.3.6
 * suggests up to two years for the originator-usage period), so after one
 * year the rule warns and after two it fails.
 */
export const FIELD_KEY_ROTATION_DAYS = 365;

const days = (ms: number) => Math.floor(ms / DAY_MS);

export const fieldKeyAge: PostureRule<PostureFacts> = {
  id: "keys.field-rotation",
  group: "keys",
  title: `Field-encryption key younger than ${FIELD_KEY_ROTATION_DAYS} days`,
  meaning:
    "The active field-encryption key seals contacts' email, phone and notes, TOTP secrets and OAuth signing keys. The longer one key is used, the more data a single leak of it opens and the closer it gets to the GCM bound on values per key.",
  fix: "npm run gatehouse -- keys rotate, then npm run gatehouse -- keys reencrypt, then keys remove --id <old> (docs/data-protection.md, Rotation); with ENCRYPTION_KEYS, roll out the value keys rotate prints.",
  evaluate(f) {
    const active = f.fieldKeys.find((k) => k.active);
    if (!active) return { status: "fail", summary: "No active field-encryption key: sealed data cannot be written." };
    if (!active.createdAt) {
      return {
        status: "warn",
        summary: `The age of key ${active.id} is unknown (no creation date recorded); rotate to start counting.`,
      };
    }
    const age = days(f.now.getTime() - active.createdAt.getTime());
    const line = `key ${active.id} was made ${active.createdAt.toISOString().slice(0, 10)} (${age} days ago)`;
    if (age >= 2 * FIELD_KEY_ROTATION_DAYS) {
      return {
        status: "fail",
        summary: `The active field key is ${age} days old, twice its rotation age.`,
        details: [line],
      };
    }
    if (age >= FIELD_KEY_ROTATION_DAYS) {
      return { status: "warn", summary: `The active field key is ${age} days old: rotation is due.`, details: [line] };
    }
    return { status: "pass", summary: `The active field key ${active.id} is ${age} days old.` };
  },
};

const SIGNING_ROTATION_DAYS = SIGNING_KEY_ROTATION_MS / DAY_MS;

export const signingKeyAge: PostureRule<PostureFacts> = {
  id: "keys.signing-rotation",
  group: "keys",
  title: `OAuth signing keys younger than ${SIGNING_ROTATION_DAYS} days`,
  meaning:
    "Access tokens are signed JWTs. A signing key is replaced automatically when it is older than its rotation age, but only when a token is signed or the JWKS is served; a key past it means nothing used it for that long, or rotation failed.",
  fix: "npm run gatehouse -- oauth-keys rotate (or Rotate signing keys on the OAuth clients page); if it comes back, look for errors in the server's log.",
  evaluate(f) {
    if (f.signingKeys.length === 0) {
      return { status: "pass", summary: "No signing key yet: one is made when the first access token is signed." };
    }
    const stale = f.signingKeys.filter((k) => f.now.getTime() - k.createdAt.getTime() >= SIGNING_KEY_ROTATION_MS);
    const describe = (k: PostureFacts["signingKeys"][number]) =>
      `${k.alg} key ${k.kid} is ${days(f.now.getTime() - k.createdAt.getTime())} days old`;
    if (stale.length > 0) {
      return {
        status: "warn",
        summary: `${stale.length} signing ${stale.length === 1 ? "key is" : "keys are"} past the ${SIGNING_ROTATION_DAYS}-day rotation age.`,
        details: stale.map(describe),
      };
    }
    return {
      status: "pass",
      summary: "Every signing key is within its rotation age.",
      details: f.signingKeys.map(describe),
    };
  },
};
