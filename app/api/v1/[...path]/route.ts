import { handleRest } from "@/server/http/rest-handler";
import { getRuntime } from "@/server/runtime";

const handler = (req: Request) => handleRest(req, getRuntime());

// OPTIONS is the CORS preflight, answered by the same door (server/http/api-guard.ts).
export { handler as DELETE, handler as GET, handler as OPTIONS, handler as PATCH, handler as POST, handler as PUT };
