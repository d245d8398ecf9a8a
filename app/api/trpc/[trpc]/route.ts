import { handleTrpc } from "@/server/http/trpc-handler";
import { getRuntime } from "@/server/runtime";

const handler = (req: Request) => handleTrpc(req, getRuntime());

export { handler as GET, handler as POST };
