import type { NextRequest } from "next/server";
import { handlers } from "@/server/auth/nextauth";
import { refuseCrossSiteAuthPost } from "@/server/http/auth-guard";
import { throttleCredentialsCallback } from "@/server/http/sign-in-throttle";
import { getRuntime } from "@/server/runtime";

export const { GET } = handlers;

/**
 * Sign-in and sign-out change the session: only from our own pages (CSRF, server/http/auth-guard.ts).
 * A locked-out or fail-closed password sign-in is answered 429 / 503 (server/http/sign-in-throttle.ts).
 */
export async function POST(req: NextRequest): Promise<Response> {
  return refuseCrossSiteAuthPost(req, getRuntime()) ?? throttleCredentialsCallback(req, handlers.POST);
}
