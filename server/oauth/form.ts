import { readCappedBody } from "../http/body";
import { OAuthError } from "./errors";

/** Token, introspection and revocation requests are small forms; anything bigger is not one of ours. */
export const MAX_FORM_BYTES = 8 * 1024;

export type Params = ReadonlyMap<string, string>;

/**
 * Parameters of a query string or form, refusing any that appears twice
 * (RFC 6749 §3.1: "Request and response parameters MUST NOT be included
 * more than once") and any that is not in `allowed` — an unknown parameter
 * is far more often a client's mistake (or a probe) than an extension we
 * should silently ignore.
 */
export function strictParams(search: URLSearchParams, allowed: ReadonlySet<string> | null): Params {
  const out = new Map<string, string>();
  for (const [name, value] of search) {
    if (out.has(name)) throw new OAuthError("invalid_request", `The parameter ${safeName(name)} is repeated`);
    out.set(name, value);
  }
  if (allowed) refuseUnknown(out, allowed);
  return out;
}

/** See strictParams; separate so that an endpoint can first answer what matters more (an unsupported grant type). */
export function refuseUnknown(params: Params, allowed: ReadonlySet<string>): void {
  for (const name of params.keys()) {
    if (!allowed.has(name)) throw new OAuthError("invalid_request", `Unknown parameter ${safeName(name)}`);
  }
}

function safeName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_.-]/g, "?").slice(0, 40);
  return `"${clean}"`;
}

/** The form body of a POST to the token, introspection or revocation endpoint. */
export async function readForm(req: Request, allowed: ReadonlySet<string> | null): Promise<Params> {
  if (req.method !== "POST") {
    throw new OAuthError("invalid_request", "Use POST", 405, { allow: "POST" });
  }
  return readFormBody(req, allowed);
}

/** A form body (no parameters in the URL), parsed strictly. */
export async function readFormBody(req: Request, allowed: ReadonlySet<string> | null): Promise<Params> {
  const type = req.headers.get("content-type")?.split(";", 1)[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new OAuthError("invalid_request", "Send the parameters as application/x-www-form-urlencoded");
  }
  // Credentials and codes never travel in the URL (RFC 6749 §2.3.1, RFC 9700 §4.3).
  if (new URL(req.url).search !== "") {
    throw new OAuthError("invalid_request", "Parameters go in the request body, never in the URL");
  }
  let bytes: Uint8Array | null;
  try {
    bytes = await readCappedBody(req, MAX_FORM_BYTES);
  } catch {
    throw new OAuthError("invalid_request", `The request body is larger than ${MAX_FORM_BYTES} bytes`, 413);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes ?? new Uint8Array());
  } catch {
    throw new OAuthError("invalid_request", "The request body is not UTF-8");
  }
  return strictParams(new URLSearchParams(text), allowed);
}

export function required(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === "") throw new OAuthError("invalid_request", `Missing parameter "${name}"`);
  return value;
}
