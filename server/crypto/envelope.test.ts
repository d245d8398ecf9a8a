import { describe, expect, it } from "vitest";
import { blindIndex, normalizeEmailForIndex } from "./blind-index";
import { DecryptionError, type FieldRef, isEnvelope, keyIdOf, open, seal } from "./envelope";
import { formatEncryptionKeys, KeySetError, newKeySetEntry, parseEncryptionKeys } from "./key-set";
import { type Keyring, staticKeyring } from "./keyring";
import { decodeRootKey, deriveKey, generateRootKey, nextKeyId } from "./keys";

function ring(...ids: string[]): Keyring {
  const keys = ids.map((id) => newKeySetEntry(id, new Date(0)));
  return staticKeyring({ activeKeyId: ids[0] as string, keys }, "memory");
}

const HERE: FieldRef = { table: "contacts", column: "email", rowId: "con_aaaaaaaaaaaaaaaaaaaa" };

function failure(fn: () => unknown): DecryptionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DecryptionError);
    return error as DecryptionError;
  }
  throw new Error("expected a DecryptionError, but the value opened");
}

/** Flips one bit of the decoded part `index` (2 = nonce, 3 = ciphertext‖tag) of an envelope. */
function flipBit(envelope: string, index: 2 | 3, byte: number): string {
  const parts = envelope.split(".");
  const bytes = Buffer.from(parts[index] as string, "base64url");
  bytes[byte % bytes.length] = (bytes[byte % bytes.length] as number) ^ 0x01;
  parts[index] = bytes.toString("base64url");
  return parts.join(".");
}

describe("sealed values (AES-256-GCM envelopes)", () => {
  const keys = ring("k1");

  it("round-trips any text, including the empty string and astral characters", () => {
    for (const text of [
      "ada@example.com",
      "",
      "+442079460018",
      "naïve café 🐘 \u0301e",
      "x".repeat(5000),
      "line\nbreak\ttab",
    ]) {
      const sealed = seal(keys, HERE, text);
      expect(isEnvelope(sealed)).toBe(true);
      expect(keyIdOf(sealed)).toBe("k1");
      expect(sealed).not.toContain(text || "\u0000");
      expect(open(keys, HERE, sealed)).toBe(text);
    }
  });

  it("has the versioned shape v1.<keyId>.<96-bit nonce>.<ciphertext‖tag> and a fresh nonce every time", () => {
    const a = seal(keys, HERE, "same");
    const b = seal(keys, HERE, "same");
    expect(a).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(a.split(".")[2] as string, "base64url")).toHaveLength(12);
    expect(a.split(".")[2]).not.toBe(b.split(".")[2]);
    expect(a).not.toBe(b);
  });

  it("pads to 32-byte size classes: the stored length does not give away the exact length", () => {
    const len = (text: string) => Buffer.from(seal(keys, HERE, text).split(".")[3] as string, "base64url").length;
    expect(len("+41446681800")).toBe(len("+4144668180012"));
    expect(len("a@b.ch")).toBe(len("someone.longer@example.org"));
    expect(len("x".repeat(40))).toBeGreaterThan(len("x".repeat(20)));
  });

  it("fails closed on any flipped bit in the nonce, the ciphertext or the tag", () => {
    const sealed = seal(keys, HERE, "ada@example.com");
    const bodyLength = Buffer.from(sealed.split(".")[3] as string, "base64url").length;
    for (let byte = 0; byte < bodyLength; byte++) {
      expect(failure(() => open(keys, HERE, flipBit(sealed, 3, byte))).reason).toBe("authentication_failed");
    }
    for (let byte = 0; byte < 12; byte++) {
      expect(failure(() => open(keys, HERE, flipBit(sealed, 2, byte))).reason).toBe("authentication_failed");
    }
  });

  it("fails closed when the value is moved to another row, column or table (associated data)", () => {
    const sealed = seal(keys, HERE, "ada@example.com");
    for (const elsewhere of [
      { ...HERE, rowId: "con_bbbbbbbbbbbbbbbbbbbb" },
      { ...HERE, column: "notes" },
      { ...HERE, table: "users" },
    ]) {
      const error = failure(() => open(keys, elsewhere, sealed));
      expect(error.reason).toBe("authentication_failed");
      expect(error.ref).toEqual(elsewhere);
    }
  });

  it("fails closed on an unknown key id, and on a value relabelled with another key id of the ring", () => {
    const sealed = seal(keys, HERE, "ada@example.com");
    const unknown = failure(() => open(ring("k2"), HERE, sealed));
    expect(unknown.reason).toBe("unknown_key");
    expect(unknown.keyId).toBe("k1");

    const k1 = newKeySetEntry("k1", new Date(0));
    const before = staticKeyring({ activeKeyId: "k1", keys: [k1] }, "memory");
    const both = staticKeyring({ activeKeyId: "k2", keys: [k1, newKeySetEntry("k2", new Date(0))] }, "memory");
    const old = seal(before, HERE, "ada@example.com");
    expect(open(both, HERE, old)).toBe("ada@example.com"); // old keys still open their values
    expect(keyIdOf(seal(both, HERE, "new"))).toBe("k2"); // new values go under the active key
    const relabelled = old.replace(/^v1\.k1\./, "v1.k2.");
    expect(failure(() => open(both, HERE, relabelled)).reason).toBe("authentication_failed");
  });

  it("a value opened once (and so remembered) still fails for another row, after tampering, and without its key", () => {
    const k1 = newKeySetEntry("k1", new Date(0));
    const withKey = staticKeyring({ activeKeyId: "k1", keys: [k1] }, "memory");
    const sealed = seal(withKey, HERE, "ada@example.com");
    for (let i = 0; i < 3; i++) expect(open(withKey, HERE, sealed)).toBe("ada@example.com");
    // Copied onto another row or column: the place is part of what was authenticated.
    expect(failure(() => open(withKey, { ...HERE, rowId: "con_bbbbbbbbbbbbbbbbbbbb" }, sealed)).reason).toBe(
      "authentication_failed",
    );
    expect(failure(() => open(withKey, { ...HERE, column: "phone" }, sealed)).reason).toBe("authentication_failed");
    for (let byte = 0; byte < 40; byte += 7) {
      expect(failure(() => open(withKey, HERE, flipBit(sealed, 3, byte))).reason).toBe("authentication_failed");
    }
    // Memory is looked up by the envelope's tail: every change before the tail (nonce, ciphertext, key id,
    // version) makes an envelope with the same tail, which must still be judged whole and refused.
    const bodyLength = Buffer.from(sealed.split(".")[3] as string, "base64url").length;
    for (let byte = 0; byte < bodyLength - 16; byte++) {
      const tampered = flipBit(sealed, 3, byte);
      expect(tampered.slice(-16)).toBe(sealed.slice(-16));
      expect(failure(() => open(withKey, HERE, tampered)).reason).toBe("authentication_failed");
    }
    for (let byte = 0; byte < 12; byte++) {
      expect(failure(() => open(withKey, HERE, flipBit(sealed, 2, byte))).reason).toBe("authentication_failed");
    }
    expect(failure(() => open(withKey, HERE, sealed.replace(/^v1\.k1\./, "v1.k9."))).reason).toBe("unknown_key");
    expect(failure(() => open(withKey, HERE, `x${sealed}`)).reason).toBe("malformed");
    expect(open(withKey, HERE, sealed)).toBe("ada@example.com");
    // The key leaves the ring (a new ring without it): what it opened is not served from memory.
    const rotated = staticKeyring({ activeKeyId: "k2", keys: [newKeySetEntry("k2", new Date(0))] }, "memory");
    expect(failure(() => open(rotated, HERE, sealed)).reason).toBe("unknown_key");
    // The same key id with other key material (a replaced secrets file) cannot open it either.
    const replaced = staticKeyring({ activeKeyId: "k1", keys: [newKeySetEntry("k1", new Date(0))] }, "memory");
    expect(failure(() => open(replaced, HERE, sealed)).reason).toBe("authentication_failed");
  });

  it("never passes off a stored value that is not an envelope as data", () => {
    for (const stored of [
      "ada@example.com",
      "",
      "v1.k1.short",
      "v2.k1.AAAAAAAAAAAAAAAA.AAAA",
      `v1.k1.${"A".repeat(16)}.${"A".repeat(10)}`,
    ]) {
      const error = failure(() => open(keys, HERE, stored));
      expect(error.reason).toBe("malformed");
      expect(error.message).not.toContain("ada@");
    }
  });

  it("names the place and key in the error, never the stored value", () => {
    const sealed = seal(keys, HERE, "ada@example.com");
    const error = failure(() => open(keys, { ...HERE, rowId: "con_cccccccccccccccccccc" }, sealed));
    expect(error.message).toContain("contacts.email");
    expect(error.message).toContain("con_cccccccccccccccccccc");
    expect(error.message).toContain("k1");
    expect(error.message).not.toContain(sealed.split(".")[3]);
  });
});

describe("keys", () => {
  it("derives a different key per purpose (HKDF, versioned info) and per root", () => {
    const root = decodeRootKey(generateRootKey()) as Buffer;
    const other = decodeRootKey(generateRootKey()) as Buffer;
    const derived = [deriveKey(root, "encryption"), deriveKey(root, "blindIndex"), deriveKey(root, "tokenHmac")];
    expect(new Set(derived.map((k) => k.toString("hex"))).size).toBe(3);
    expect(derived.every((k) => k.length === 32)).toBe(true);
    expect(deriveKey(root, "encryption").equals(deriveKey(root, "encryption"))).toBe(true);
    expect(deriveKey(root, "encryption").equals(deriveKey(other, "encryption"))).toBe(false);
    expect(derived.some((k) => k.equals(root))).toBe(false);
  });

  it("accepts only canonical 32-byte base64url root keys", () => {
    const key = generateRootKey();
    expect(decodeRootKey(key)).toHaveLength(32);
    expect(decodeRootKey(key.slice(1))).toBeNull();
    expect(decodeRootKey(`${key.slice(0, 42)}=`)).toBeNull();
    expect(decodeRootKey(Buffer.alloc(31).toString("base64url"))).toBeNull();
  });

  it("numbers new keys after the highest k<n>", () => {
    expect(nextKeyId([])).toBe("k1");
    expect(nextKeyId(["k1", "k7", "legacy"])).toBe("k8");
  });
});

describe("ENCRYPTION_KEYS", () => {
  const a = generateRootKey();
  const b = generateRootKey();

  it("parses ids, keys and the starred active key; one key needs no star", () => {
    expect(parseEncryptionKeys(` *k2:${b} , k1:${a}`)).toEqual({
      activeKeyId: "k2",
      keys: [
        { id: "k2", key: b, createdAt: null },
        { id: "k1", key: a, createdAt: null },
      ],
    });
    expect(parseEncryptionKeys(`main:${a}`).activeKeyId).toBe("main");
    const set = parseEncryptionKeys(`k1:${a},*k2:${b}`);
    const again = parseEncryptionKeys(formatEncryptionKeys(set));
    expect(again.activeKeyId).toBe("k2");
    expect(new Set(again.keys.map((k) => `${k.id}:${k.key}`))).toEqual(
      new Set(set.keys.map((k) => `${k.id}:${k.key}`)),
    );
    expect(formatEncryptionKeys(set)).toBe(`*k2:${b},k1:${a}`);
  });

  it("refuses every malformed value with a message that never quotes a key", () => {
    const cases: Array<[string, RegExp]> = [
      ["", /at least one key/],
      [`k1:${a},k2:${b}`, /mark the active key/],
      [`*k1:${a},*k2:${b}`, /exactly one key active/],
      [`k1:${a},*k1:${b}`, /listed twice/],
      [`k1=${a}`, /entry 1: must be <key-id>:<base64url key>/],
      [`bad.id:${a}`, /key id must be/],
      [`k1:${a.slice(0, 40)}`, /key k1: must be 32 random bytes/],
      [`k1:${Buffer.alloc(16).toString("base64url")}`, /key k1: must be 32 random bytes/],
    ];
    for (const [value, message] of cases) {
      let error: unknown;
      try {
        parseEncryptionKeys(value);
      } catch (caught) {
        error = caught;
      }
      expect(error, value).toBeInstanceOf(KeySetError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(a.slice(0, 20));
      expect((error as Error).message).not.toContain(b.slice(0, 20));
    }
  });
});

describe("blind index", () => {
  const keys = ring("k1");
  const key = keys.active();
  const scope = { column: "contacts.email", ownerId: "usr_aaaaaaaaaaaaaaaaaaaa" };

  it("is the same for the same normalised email, and different across owners, columns and keys", () => {
    const value = blindIndex(key, scope, normalizeEmailForIndex(" Ada@Example.COM "));
    expect(value).toBe(blindIndex(key, scope, normalizeEmailForIndex("ada@example.com")));
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(value).not.toBe(blindIndex(key, { ...scope, ownerId: "usr_bbbbbbbbbbbbbbbbbbbb" }, "ada@example.com"));
    expect(value).not.toBe(blindIndex(key, { ...scope, column: "users.email" }, "ada@example.com"));
    expect(value).not.toBe(blindIndex(ring("k1").active(), scope, "ada@example.com"));
    expect(value).not.toContain("ada");
  });
});
