/**
 * What a one-line text typed by a person (a user's, token's or client's name)
 * may not contain, on every door: C0 and C1 control characters (tab, CR and
 * LF included: they would break a log line, a CSV cell or a terminal), and
 * the bidirectional overrides and isolates that make a name display as
 * something else ("Ada\u202Egpj.exe").
 */
export const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/** The same as a whole-value pattern, for `.regex()`: it shows in the OpenAPI document as the field's `pattern`. */
export const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$/;

export const NO_CONTROLS_MESSAGE = "must not contain control characters";
