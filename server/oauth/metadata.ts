import { ALL_SCOPES } from "../auth/scopes";
import type { Config } from "../config";
import { issuerOf } from "./access-token";

/** Where each endpoint lives; published in the metadata, so clients discover them instead of hard-coding. */
export const OAUTH_PATHS = {
  metadata: "/.well-known/oauth-authorization-server",
  authorize: "/oauth/authorize",
  consent: "/oauth/consent",
  token: "/oauth/token",
  introspect: "/oauth/introspect",
  revoke: "/oauth/revoke",
  jwks: "/oauth/jwks",
} as const;

/** RFC 8414 authorization server metadata. `issuer` is APP_URL exactly as clients will compare it. */
export function authorizationServerMetadata(config: Pick<Config, "appUrl">) {
  const issuer = issuerOf(config);
  const at = (path: string) => `${issuer}${path}`;
  return {
    issuer,
    authorization_endpoint: at(OAUTH_PATHS.authorize),
    token_endpoint: at(OAUTH_PATHS.token),
    introspection_endpoint: at(OAUTH_PATHS.introspect),
    revocation_endpoint: at(OAUTH_PATHS.revoke),
    jwks_uri: at(OAUTH_PATHS.jwks),
    scopes_supported: ALL_SCOPES,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
    introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
    // RFC 9207: the authorization response names its issuer, against mix-up attacks.
    authorization_response_iss_parameter_supported: true,
    // No field for the access tokens' algorithms: neither RFC 8414 nor the IANA registry has one (the
    // *_signing_alg_values_supported there are for client authentication JWTs, introspection responses,
    // ID tokens …). A resource server learns ES256 and RS256 from each key's `alg` in the JWKS.
    service_documentation: `${issuer}/api/docs`,
  };
}
