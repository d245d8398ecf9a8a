import { z } from "zod";

/**
 * Output schema for WebAuthn options made by @simplewebauthn/server: passed through whole (the
 * browser library reads every member) and typed as the library's JSON type for the client.
 */
export function webauthnOptions<T extends { challenge: string }>() {
  return z.custom<T>(
    (value) =>
      typeof value === "object" && value !== null && typeof (value as { challenge?: unknown }).challenge === "string",
    "not WebAuthn options",
  );
}
