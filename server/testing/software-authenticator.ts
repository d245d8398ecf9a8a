import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";

/**
 * A WebAuthn authenticator in software, for server tests: a real P-256 key
 * pair, "none" attestation, real signatures over real authenticator data, so
 * @simplewebauthn/server verifies its answers exactly as a browser's. Every
 * input a test may want to get wrong (challenge, origin, RP ID, counter) is
 * a parameter.
 */

const sha256 = (data: Uint8Array | string): Uint8Array<ArrayBuffer> =>
  new Uint8Array(createHash("sha256").update(data).digest());
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function coseKeyOf(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: "jwk" }) as { x: string; y: string };
  // COSE_Key: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y.
  const key = new Map<number, number | Uint8Array>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, isoBase64URL.toBuffer(jwk.x)],
    [-3, isoBase64URL.toBuffer(jwk.y)],
  ]);
  return isoCBOR.encode(key);
}

export interface SoftwareAuthenticator {
  credentialId: string;
  counter: number;
  register(opts: { challenge: string; origin: string; rpId: string }): RegistrationResponseJSON;
  /** Signs an assertion; the counter goes up by one unless `counter` is given. */
  assert(opts: { challenge: string; origin: string; rpId: string; counter?: number }): AuthenticationResponseJSON;
}

export function softwareAuthenticator(): SoftwareAuthenticator {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const publicKey = createPublicKey(privateKey);
  const rawId = new Uint8Array(randomBytes(16));
  const credentialId = isoBase64URL.fromBuffer(rawId);
  const clientData = (type: string, challenge: string, origin: string) =>
    new TextEncoder().encode(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

  const self: SoftwareAuthenticator = {
    credentialId,
    counter: 0,
    register({ challenge, origin, rpId }) {
      const idLength = new Uint8Array([rawId.length >> 8, rawId.length & 0xff]);
      const authData = concat(
        sha256(rpId),
        new Uint8Array([FLAG_UP | FLAG_UV | FLAG_AT]),
        u32(self.counter),
        new Uint8Array(16), // AAGUID: none
        idLength,
        rawId,
        coseKeyOf(publicKey),
      );
      const attestationObject = isoCBOR.encode(
        new Map<string, unknown>([
          ["fmt", "none"],
          ["attStmt", new Map()],
          ["authData", authData],
        ]) as Parameters<typeof isoCBOR.encode>[0],
      );
      return {
        id: credentialId,
        rawId: credentialId,
        type: "public-key",
        response: {
          clientDataJSON: isoBase64URL.fromBuffer(clientData("webauthn.create", challenge, origin)),
          attestationObject: isoBase64URL.fromBuffer(attestationObject),
          transports: ["internal"],
        },
        clientExtensionResults: {},
        authenticatorAttachment: "platform",
      };
    },
    assert({ challenge, origin, rpId, counter }) {
      self.counter = counter ?? self.counter + 1;
      const authData = concat(sha256(rpId), new Uint8Array([FLAG_UP | FLAG_UV]), u32(self.counter));
      const clientDataJSON = clientData("webauthn.get", challenge, origin);
      const signature = sign("sha256", concat(authData, sha256(clientDataJSON)), privateKey);
      return {
        id: credentialId,
        rawId: credentialId,
        type: "public-key",
        response: {
          clientDataJSON: isoBase64URL.fromBuffer(clientDataJSON),
          authenticatorData: isoBase64URL.fromBuffer(authData),
          signature: isoBase64URL.fromBuffer(new Uint8Array(signature)),
        },
        clientExtensionResults: {},
        authenticatorAttachment: "platform",
      };
    },
  };
  return self;
}
