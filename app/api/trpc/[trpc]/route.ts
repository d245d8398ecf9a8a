import { handleTrpc } from "@/server/http/trpc-handler";
import { getRuntime } from "@/server/runtime";

const handler = (req: Request) => handleTrpc(req, getRuntime());

// OPTIONS is the CORS preflight, answered by the same door (server/http/api-guard.ts).
export { handler as GET, handler as OPTIONS, handler as POST };
