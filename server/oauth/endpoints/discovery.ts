import type { Runtime } from "../../runtime";
import { authorizationServerMetadata } from "../metadata";
import { listSigningKeys, signingKeysFor } from "../signing-keys";
import { answerOAuth, oauthServiceContext } from "./context";

/**
 * GET /.well-known/oauth-authorization-server and GET /oauth/jwks: public
 * documents. Like every API answer they go out `no-store` (guardApi): a
 * rotated key signs at once, so a resource server must see the new JWKS
 * when it meets a new kid — jose's createRemoteJWKSet, for one, refetches
 * then; a retired key stays published for an hour after it last signed.
 * The JWKS holds the keys of every algorithm (EC for ES256, RSA for RS256).
 */
function publicJson(body: unknown, contentType = "application/json"): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { "content-type": `${contentType}; charset=utf-8` },
  });
}

function methodNotAllowed(): Response {
  return new Response(null, { status: 405, headers: { allow: "GET, HEAD" } });
}

export async function handleMetadata(req: Request, runtime: Runtime): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed();
  return publicJson(authorizationServerMetadata(runtime.config));
}

export async function handleJwks(req: Request, runtime: Runtime): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed();
  const svc = oauthServiceContext(req, runtime);
  return answerOAuth(svc, async () => {
    // Make sure each algorithm has a key (and none is overdue) before a token is signed with it,
    // so the JWKS is never without one: an installation from before RS256 gets its RSA key here.
    if (runtime.keyring) await signingKeysFor(runtime).ensureKeys();
    const keys = (await listSigningKeys(runtime.db, runtime.clock.now())).map((key) => key.jwk);
    return publicJson({ keys }, "application/jwk-set+json");
  });
}
