import { handleApiReferenceAsset } from "@/server/http/api-reference";

export const dynamic = "force-dynamic";
export const GET = (_req: Request, { params }: { params: Promise<{ asset: string }> }) =>
  params.then(({ asset }) => handleApiReferenceAsset(asset));
