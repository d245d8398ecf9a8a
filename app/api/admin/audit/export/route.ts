import { handleAuditExport } from "@/server/http/audit-export";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

export const GET = (req: Request) => handleAuditExport(req, getRuntime());
