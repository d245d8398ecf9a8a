import { handleApiReferenceScript } from "@/server/http/api-reference";

export const dynamic = "force-dynamic";
export const GET = () => handleApiReferenceScript();
