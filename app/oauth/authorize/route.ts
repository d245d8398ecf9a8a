import { handleAuthorize } from "@/server/oauth/endpoints/authorize";
import { withUnavailablePage } from "@/server/oauth/error-page";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

/** The authorization endpoint and the consent form's target (server/oauth/endpoints/authorize.ts). A page, not an API door: no CORS. */
const handler = withUnavailablePage((req: Request) => handleAuthorize(req, getRuntime()));

export { handler as GET, handler as POST };
