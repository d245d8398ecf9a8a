import { handleMetrics } from "@/server/http/metrics-handler";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

const handler = (req: Request) => handleMetrics(req, getRuntime());

export { handler as GET, handler as HEAD };
