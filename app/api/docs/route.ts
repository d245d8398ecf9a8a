import { handleApiReferencePage } from "@/server/http/api-reference";

export const dynamic = "force-dynamic";
export const GET = (req: Request) => handleApiReferencePage(req);
