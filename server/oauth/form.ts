import { readCappedBody } from "../http/body";
import { OAuthError } from "./errors";

/** Token, introspection and revocation requests are small forms; anything bigger is not one of ours. */
export const MAX_FORM_BYTES = 8 * 1024;

export type Params = ReadonlyMap<string, string>;

/**
 * Parameters of a query string or form, refusing any that appears twice
 * (RFC 6749 §3.1: "Request and response parameters MUST NOT be included
 * more than once"; a repeated `resource` is RFC 8707's `invalid_target`,
 * since we issue one audience per token). Parameters we do not know are
 * kept here and never read: the authorization and token endpoints "MUST
 * ignore unrecognized request parameters" (RFC 6749 §3.1, §3.2), and so do
 * introspection and revocation. The few that would change the meaning of a
 * request if ignored are refused by name where they matter (see
 * server/oauth/endpoints/authorize.ts). A name is never echoed unescaped:
 * only safeName() of it reaches an error description.
 */
export function strictParams(search: URLSearchParams): Params {
  const out = new Map<string, string>();
  for (const [name, value] of search) {
    if (out.has(name)) {
      if (name === "resource") {
        throw new OAuthError("invalid_target", "Ask for one resource per request (resource is repeated)");
      }
      throw new OAuthError("invalid_request", `The parameter ${safeName(name)} is repeated`);
    }
    out.set(name, value);
  }
  return out;
}

function safeName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_.-]/g, "?").slice(0, 40);
  return `"${clean}"`;
}

/** The form body of a POST to the token, introspection or revocation endpoint. */
export async function readForm(req: Request): Promise<Params> {
  if (req.method !== "POST") {
    throw new OAuthError("invalid_request", "Use POST", 405, { allow: "POST" });
  }
  return readFormBody(req);
}

/** A form body (no parameters in the URL), parsed strictly. */
export async function readFormBody(req: Request): Promise<Params> {
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
  return strictParams(new URLSearchParams(text));
}

export function required(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === "") throw new OAuthError("invalid_request", `Missing parameter "${name}"`);
  return value;
}
