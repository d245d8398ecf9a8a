import { decodeJwt } from "jose";
import type { Config } from "../config";
import { audienceOf } from "./access-token";
import { OAuthError } from "./errors";
import type { Params } from "./form";

/**
 * Resource indicators (RFC 8707): the protected resources this server issues
 * access tokens for, and how a `resource` parameter is judged.
 *
 * - `${APP_URL}/api`: the whole API, both doors (REST and tRPC). It is the
 *   default audience, the one every token carried before resource
 *   indicators, and what a request without `resource` still gets.
 * - `${APP_URL}/api/v1`: the REST API only. A token for it is refused on the
 *   tRPC door.
 *
 * A `resource` is compared character for character with these (after the
 * RFC 8707 §2 shape checks: an absolute URI, no fragment), so
 * `http:` for an `https:` deployment, another host or port, a trailing
 * slash, a path below them or a relative reference are all unknown and
 * `invalid_target`. One resource per request: several audiences in one token
 * would let the token be replayed from one resource to the other, so a
 * repeated `resource` is `invalid_target` too (server/oauth/form.ts).
 */
export interface Resources {
  /** The default audience: the whole API (both doors). */
  api: string;
  /** The REST door only. */
  rest: string;
}

export function resourcesOf(config: Pick<Config, "appUrl">): Resources {
  const api = audienceOf(config);
  return { api, rest: `${api}/v1` };
}

export function knownResources(config: Pick<Config, "appUrl">): string[] {
  const { api, rest } = resourcesOf(config);
  return [api, rest];
}

/** The audiences a door accepts in an access token: exactly our own resources that cover it. */
export function audiencesFor(config: Pick<Config, "appUrl">, transport: "rest" | "trpc"): string[] {
  const { api, rest } = resourcesOf(config);
  return transport === "rest" ? [api, rest] : [api];
}

/**
 * The audience to verify a presented access token against: the `aud` it
 * claims when that is one of `accepted`, else the first of them (and the
 * verification fails on `aud`). The claim is read before the signature is
 * checked only to choose among our own audiences; the verification itself
 * (server/oauth/access-token.ts) still requires the signature and exactly
 * that audience, so a token claiming anything else is refused as before.
 */
export function audienceToVerify(token: string, accepted: readonly string[]): string {
  let aud: unknown;
  try {
    aud = decodeJwt(token).aud;
  } catch {
    aud = undefined;
  }
  return typeof aud === "string" && accepted.includes(aud) ? aud : (accepted[0] as string);
}

/** Longer than any resource of ours could be: refused before it is parsed. */
const MAX_RESOURCE = 512;

/**
 * The `resource` parameter of an authorization or token request: null when
 * absent, else one of ours exactly. Malformed (not an absolute URI, with a
 * fragment, control characters, empty) or unknown: `invalid_target`
 * (RFC 8707 §2). The value is never echoed back.
 */
export function parseResourceParam(params: Params, config: Pick<Config, "appUrl">): string | null {
  const value = params.get("resource");
  if (value === undefined) return null;
  if (value === "" || value.length > MAX_RESOURCE || /[\u0000-\u0020\u007f]/.test(value)) {
    throw new OAuthError("invalid_target", "resource must be an absolute URI");
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OAuthError("invalid_target", "resource must be an absolute URI");
  }
  if (value.includes("#") || url.hash !== "") {
    throw new OAuthError("invalid_target", "resource must not contain a fragment");
  }
  if (!knownResources(config).includes(value)) {
    throw new OAuthError("invalid_target", "resource is not a resource of this server");
  }
  return value;
}

/**
 * Whether `asked` may be issued under a grant of `granted`: null (nothing
 * asked at authorize) and the default audience cover every resource of ours
 * (a narrower token is always fine); any other resource covers only itself.
 */
export function resourceCovered(granted: string | null, asked: string, defaultAudience: string): boolean {
  return granted === null || granted === defaultAudience || granted === asked;
}
