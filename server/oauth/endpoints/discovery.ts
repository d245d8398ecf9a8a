import type { Runtime } from "../../runtime";
import { oauthJson } from "../errors";
import { authorizationServerMetadata } from "../metadata";
import { listSigningKeys, signingKeysFor } from "../signing-keys";
import { answerOAuth, oauthServiceContext } from "./context";

/**
 * GET /.well-known/oauth-authorization-server and GET /oauth/jwks: public
 * documents, cacheable for a few minutes (a rotated key is published before
 * it signs anything, and a retired one stays for an hour after).
 */
const PUBLIC_CACHE = { "cache-control": "public, max-age=300" };

function methodNotAllowed(): Response {
  return new Response(null, { status: 405, headers: { allow: "GET, HEAD" } });
}

export async function handleMetadata(req: Request, runtime: Runtime): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed();
  return oauthJson(authorizationServerMetadata(runtime.config), 200, PUBLIC_CACHE);
}

export async function handleJwks(req: Request, runtime: Runtime): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed();
  const svc = oauthServiceContext(req, runtime);
  return answerOAuth(svc.client.requestId, async () => {
    // Make sure a key exists before the first token is signed, so the JWKS is never empty.
    if (runtime.keyring) await signingKeysFor(runtime).signingKey();
    const keys = listSigningKeys(runtime.db, runtime.clock.now()).map((key) => key.jwk);
    return oauthJson({ keys }, 200, { ...PUBLIC_CACHE, "content-type": "application/jwk-set+json" });
  });
}
