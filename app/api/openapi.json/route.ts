import { handleOpenApiDocument } from "@/server/http/openapi";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";
export const GET = (req: Request) => handleOpenApiDocument(req, getRuntime());
