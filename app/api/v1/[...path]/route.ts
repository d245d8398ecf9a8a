import { handleRest } from "@/server/http/rest-handler";
import { getRuntime } from "@/server/runtime";

const handler = (req: Request) => handleRest(req, getRuntime());

export { handler as DELETE, handler as GET, handler as PATCH, handler as POST, handler as PUT };
