import { guardApi } from "@/server/http/api-guard";
import { handleMetadata } from "@/server/oauth/endpoints/discovery";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

/** RFC 8414 authorization server metadata. */
const handler = (req: Request) => {
  const runtime = getRuntime();
  return guardApi(req, runtime, "oauth", (request) => handleMetadata(request, runtime));
};

export { handler as GET, handler as OPTIONS, handler as POST };
