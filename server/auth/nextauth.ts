import NextAuth, { type NextAuthConfig, type User } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { requestIdOf } from "../context";
import { getRuntime } from "../runtime";
import { resolveClient } from "../security/client-ip";
import { sessionCookieName } from "./session-cookie";
import { attemptSignIn, signOutSession } from "./sign-in";
import { reportSignInRefusal } from "./sign-in-outcome";

type SessionUser = User & { sid: string };

/**
 * NextAuth serves the standard /api/auth/* endpoints (CSRF token, sign-in
 * callback, sign-out). Its JWT cookie carries only the id of our session row
 * (`sid`); the row is the truth, checked on every request. Configuration is
 * built lazily on the first request, never at import (so `next build` needs
 * no secrets).
 */
export const { handlers } = NextAuth((): NextAuthConfig => {
  const runtime = getRuntime();
  const { config } = runtime;
  const secure = config.secure;
  const prefix = secure ? "__Host-" : "";
  const cookie = (name: string, httpOnly = true) => ({
    name: `${prefix}gatehouse.${name}`,
    // No Domain: host-only. Lax: sent on top-level navigation, not on cross-site POSTs.
    options: { httpOnly, sameSite: "lax" as const, path: "/", secure },
  });
  return {
    secret: config.authSecret,
    basePath: "/api/auth",
    // Auth.js builds its URLs from the Host header. We set it deliberately:
    // the redirect callback below only allows our own origin, so a forged
    // Host cannot send anyone elsewhere.
    trustHost: true,
    session: { strategy: "jwt", maxAge: Math.floor(config.session.absoluteMs / 1000) },
    pages: { signIn: "/signin", error: "/signin" },
    cookies: {
      sessionToken: { ...cookie("session"), name: sessionCookieName(secure) },
      csrfToken: cookie("csrf"),
      callbackUrl: cookie("callback"),
    },
    providers: [
      Credentials({
        credentials: { email: { type: "email" }, password: { type: "password" } },
        async authorize(credentials, request) {
          const resolved = resolveClient(request.headers, runtime.trustedProxies);
          const result = await attemptSignIn(runtime, credentials, {
            ip: resolved.ip,
            userAgent: request.headers.get("user-agent")?.slice(0, 512) ?? null,
            requestId: requestIdOf(request.headers),
          });
          if (!result.ok) {
            // A lockout or a store outage answers like a wrong password here; the route
            // wrapper (server/http/sign-in-throttle.ts) turns it into 429 / 503.
            if (result.reason === "locked") {
              reportSignInRefusal({ kind: "locked", retryAfterSeconds: result.retryAfterSeconds });
            } else if (result.reason === "unavailable") {
              reportSignInRefusal({ kind: "unavailable" });
            }
            return null;
          }
          return { id: result.userId, sid: result.sessionId } satisfies SessionUser;
        },
      }),
    ],
    callbacks: {
      // Keep the cookie minimal: who and which session, nothing personal.
      jwt({ token, user }) {
        if (user) return { sub: user.id, sid: (user as SessionUser).sid };
        return token;
      },
      redirect({ url, baseUrl }) {
        if (url.startsWith("/") && !url.startsWith("//")) return `${baseUrl}${url}`;
        try {
          if (new URL(url).origin === config.appUrl.origin) return url;
        } catch {
          // fall through
        }
        return baseUrl;
      },
    },
    events: {
      signOut(message) {
        const token = "token" in message ? message.token : null;
        if (token && typeof token.sid === "string") {
          signOutSession(runtime, token.sid, typeof token.sub === "string" ? token.sub : null, {
            ip: null,
            userAgent: null,
            requestId: "signout",
          });
        }
      },
    },
  };
});
