import { handleReady } from "@/server/http/health";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";
export const GET = (req: Request) => handleReady(req, getRuntime);
