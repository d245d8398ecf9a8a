import { guardApi } from "@/server/http/api-guard";
import { handleIntrospection } from "@/server/oauth/endpoints/introspect";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

/** An API door of the authorization server: HTTPS, CORS allow-list and API headers via guardApi. */
const handler = (req: Request) => {
  const runtime = getRuntime();
  return guardApi(req, runtime, "oauth", (request) => handleIntrospection(request, runtime));
};

export { handler as DELETE, handler as GET, handler as OPTIONS, handler as PATCH, handler as POST, handler as PUT };
