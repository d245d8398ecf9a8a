import * as OTPAuth from "otpauth";
import QRCode from "qrcode";
import type { Sealed } from "@/db/schema/sealed-text";
import { DecryptionError, type FieldRef, open, seal } from "../crypto/envelope";
import type { Keyring } from "../crypto/keyring";
import { reportDecryptionFailure } from "./contact-codec";

/**
 * TOTP as RFC 6238 with the parameters every authenticator app supports
 * (SHA-1, 6 digits, 30-second steps; apps ignore anything else). The secret
 * is 160 random bits (RFC 4226 §4 recommends that size), stored sealed.
 */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/**
 * Codes of one step either side of now are accepted: a phone clock a little
 * off, or a code typed as it changed. Wider windows only give guesses more
 * room. Replay is refused separately (the last accepted step is stored).
 */
export const TOTP_WINDOW_STEPS = 1;
const ISSUER = "Gatehouse";

export const TOTP_TABLE = "second_factors";
const secretRef = (factorId: string): FieldRef => ({ table: TOTP_TABLE, column: "totp_secret", rowId: factorId });

export function newTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

function totpOf(secretBase32: string, label = "user"): OTPAuth.TOTP {
  return new OTPAuth.TOTP({
    issuer: ISSUER,
    label,
    algorithm: "SHA1",
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: OTPAuth.Secret.fromBase32(secretBase32),
  });
}

/** The otpauth:// URI an authenticator app reads from the QR code (issuer Gatehouse, label the email). */
export function totpUri(secretBase32: string, email: string): string {
  return totpOf(secretBase32, email).toString();
}

/**
 * The QR code as SVG markup, drawn on the server: the page shows it inline
 * (no image URL, no data: URI for the CSP to allow, no script drawing it).
 * qrcode's SVG has only presentation attributes (fill, stroke), no style.
 */
export function totpQrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: "svg", margin: 2, errorCorrectionLevel: "M" });
}

/** The time step a timestamp falls in. */
export function totpStepAt(ms: number): number {
  return Math.floor(ms / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code for a step (tests, and the e2e helper that plays the authenticator app). */
export function totpCodeAt(secretBase32: string, ms: number): string {
  return totpOf(secretBase32).generate({ timestamp: ms });
}

/**
 * The step a code belongs to, if it is one of the accepted window around
 * `nowMs`; null otherwise. Constant-time per candidate (otpauth compares
 * with timingSafeEqual).
 */
export function matchTotpStep(secretBase32: string, code: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpOf(secretBase32).validate({ token: code, timestamp: nowMs, window: TOTP_WINDOW_STEPS });
  return delta === null ? null : totpStepAt(nowMs) + delta;
}

export function sealTotpSecret(keyring: Keyring, factorId: string, secretBase32: string): Sealed {
  return seal(keyring, secretRef(factorId), secretBase32);
}

/** Opens a stored secret; a value that does not open is an alert in the log, then thrown (never a silent refusal). */
export function openTotpSecret(keyring: Keyring, factorId: string, stored: string): string {
  try {
    return open(keyring, secretRef(factorId), stored);
  } catch (error) {
    if (error instanceof DecryptionError) reportDecryptionFailure(error);
    throw error;
  }
}
