import type { NextRequest } from "next/server";
import NextAuth, { CredentialsSignin, type NextAuthConfig, type User } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { getLogger } from "../logger";
import { getRuntime } from "../runtime";
import { safeReturnUrl } from "../security/return-to";
import { answerAuthRequest, clientOfRequest, currentAuthClient, seeOtherAfterPost } from "./auth-request";
import { readPendingSignInHandle } from "./pending-sign-in-cookie";
import { sessionCookieName } from "./session-cookie";
import { attemptSecondStep, attemptSignIn, signOutSession } from "./sign-in";
import { reportPendingSignIn, reportSignInRefusal } from "./sign-in-outcome";

type SessionUser = User & { sid: string };

/**
 * The password was right; a second factor must follow. The `code` reaches the sign-in form (signIn()'s
 * result) so it can ask for one; it says nothing a wrong password would not: only the person who knows
 * the password gets this far.
 */
class SecondFactorRequired extends CredentialsSignin {
  override code = "second_factor";
}

/** The second step's pending sign-in is gone (expired, used, too many wrong codes): start again. */
class SignInExpired extends CredentialsSignin {
  override code = "sign_in_expired";
}

/** A second step posts a code (or a passkey's answer) and no password. */
function isSecondStep(credentials: Partial<Record<string, unknown>> | undefined): boolean {
  const given = (value: unknown) => typeof value === "string" && value !== "";
  return (given(credentials?.code) || given(credentials?.passkey)) && !credentials?.password;
}

/**
 * NextAuth serves the standard /api/auth/* endpoints (CSRF token, sign-in
 * callback, sign-out). Its JWT cookie carries only the id of our session row
 * (`sid`); the row is the truth, checked on every request. Configuration is
 * built lazily on the first request, never at import (so `next build` needs
 * no secrets).
 */
const nextAuth = NextAuth((): NextAuthConfig => {
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
    // Auth.js builds its URLs from the request's URL, which the route re-addresses to APP_URL's
    // origin before NextAuth sees it (server/auth/public-origin.ts): a forged or internal Host or
    // X-Forwarded-* never reaches a URL or a cookie. trustHost only stops Auth.js refusing to run.
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
        credentials: {
          email: { type: "email" },
          password: { type: "password" },
          code: { type: "text" },
          passkey: { type: "text" },
        },
        async authorize(credentials, request) {
          const client = clientOfRequest(request, runtime.trustedProxies);
          // Two steps (server/auth/sign-in.ts): the password, then — for an account with a second factor —
          // a code, redeeming the pending sign-in handle the first step left in its cookie.
          const secondStep = isSecondStep(credentials);
          const result = secondStep
            ? await attemptSecondStep(runtime, readPendingSignInHandle(request.headers, secure), credentials, client)
            : await attemptSignIn(runtime, credentials, client);
          if (!result.ok) {
            if (result.reason === "second_factor") {
              reportPendingSignIn({ set: result.handle });
              throw new SecondFactorRequired();
            }
            if (result.reason === "expired") {
              reportPendingSignIn({ clear: true });
              throw new SignInExpired();
            }
            // A lockout or a store outage answers like a wrong password here; the route
            // wrapper (server/http/sign-in-throttle.ts) turns it into 429 / 503.
            if (result.reason === "locked") {
              reportSignInRefusal({ kind: "locked", retryAfterSeconds: result.retryAfterSeconds });
            } else if (result.reason === "unavailable") {
              reportSignInRefusal({ kind: "unavailable" });
            }
            return null;
          }
          if (secondStep) reportPendingSignIn({ clear: true });
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
      // Every return-to target (sign-in, sign-out): parsed against APP_URL, followed only on its origin,
      // serialized so no control character reaches a header (server/security/return-to.ts).
      redirect({ url }) {
        return safeReturnUrl(url, config.appUrl);
      },
    },
    // Auth.js's default logger prints each error over several console lines with its stack and cause
    // (absolute paths included): here each is one JSON line of the application log, name and message only.
    logger: authLogger,
    events: {
      async signOut(message) {
        const token = "token" in message ? message.token : null;
        if (token && typeof token.sid === "string") {
          // The event has no request: the handler wrapper below keeps it in reach (auth-request.ts).
          const client = currentAuthClient(runtime.trustedProxies) ?? {
            ip: null,
            userAgent: null,
            requestId: "signout",
          };
          await signOutSession(runtime, token.sid, typeof token.sub === "string" ? token.sub : null, client);
        }
      },
    },
  };
});

/** NextAuth's endpoints; each runs with its request in reach of NextAuth's events (auth-request.ts). */
export const handlers = {
  GET: (req: NextRequest) => answerAuthRequest(req, nextAuth.handlers.GET),
  // Its form POSTs redirect with 303, never 302 (auth-request.ts).
  POST: async (req: NextRequest) => seeOtherAfterPost(await answerAuthRequest(req, nextAuth.handlers.POST)),
};

/**
 * Error types that are a caller's mistake, not a fault: a wrong password, a stale CSRF token, a bad callback,
 * a session cookie that does not decrypt (forged, or from before an AUTH_SECRET change). Anyone can cause
 * these at will, so they are `info` lines, not errors that page someone.
 */
const EXPECTED_AUTH_ERRORS = new Set([
  "CredentialsSignin",
  "MissingCSRF",
  "InvalidCallbackUrl",
  "UnknownAction",
  "JWTSessionError",
]);

/** One line of text, short: Auth.js messages end with a "Read more" link and may carry a cause's text. */
const summary = (text: unknown) =>
  String(text ?? "")
    .split("\n", 1)[0]
    ?.slice(0, 300) ?? "";

/** The Auth.js logger, on the application log (server/logger.ts): no stacks, no causes' stacks, no paths. */
export const authLogger = {
  error(error: Error) {
    const type = (error as Error & { type?: string }).type ?? error.name;
    const cause = (error as Error & { cause?: { err?: unknown } }).cause?.err ?? error.cause;
    const fields = {
      auth: {
        type,
        message: summary(error.message),
        ...(cause instanceof Error ? { cause: { name: cause.name, message: summary(cause.message) } } : {}),
      },
    };
    if (EXPECTED_AUTH_ERRORS.has(type)) getLogger().info(fields, "auth: request refused");
    else getLogger().error(fields, "auth: error");
  },
  warn(code: string) {
    getLogger().warn({ auth: { code } }, "auth: warning");
  },
  debug(message: string) {
    getLogger().debug({ auth: { message: summary(message) } }, "auth: debug");
  },
};
