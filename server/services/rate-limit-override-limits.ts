/** The bounds of an override's note and lifetime, apart from the service: its input schema runs in the browser too. */
export const OVERRIDE_NOTE_MAX = 200;
export const OVERRIDE_MAX_EXPIRY_MS = 365 * 86_400_000;
