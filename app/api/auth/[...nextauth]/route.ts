import type { NextRequest } from "next/server";
import { handlers } from "@/server/auth/nextauth";
import { atPublicOrigin } from "@/server/auth/public-origin";
import { refuseCrossSiteAuthPost } from "@/server/http/auth-guard";
import { throttleCredentialsCallback } from "@/server/http/sign-in-throttle";
import { getRuntime } from "@/server/runtime";

/** NextAuth answers on APP_URL's origin, never the internal host and port (server/auth/public-origin.ts). */
export function GET(req: NextRequest): Promise<Response> {
  return handlers.GET(atPublicOrigin(req, getRuntime().config.appUrl));
}

/**
 * Sign-in and sign-out change the session: only from our own pages (CSRF, server/http/auth-guard.ts).
 * A locked-out or fail-closed password sign-in is answered 429 / 503 (server/http/sign-in-throttle.ts).
 */
export async function POST(req: NextRequest): Promise<Response> {
  const runtime = getRuntime();
  return (
    (await refuseCrossSiteAuthPost(req, runtime)) ??
    (await throttleCredentialsCallback(atPublicOrigin(req, runtime.config.appUrl), handlers.POST))
  );
}
