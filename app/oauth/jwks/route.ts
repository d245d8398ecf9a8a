import { guardApi } from "@/server/http/api-guard";
import { handleJwks } from "@/server/oauth/endpoints/discovery";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

/** The public keys that verify access tokens (RFC 7517), published as the metadata's jwks_uri. */
const handler = (req: Request) => {
  const runtime = getRuntime();
  return guardApi(req, runtime, "oauth", (request) => handleJwks(request, runtime));
};

export { handler as GET, handler as OPTIONS, handler as POST };
