import { headers } from "next/headers";
import { notFound, redirect } from "next/navigation";
import type { Principal } from "@/server/auth/principal";
import { ENROL_PAGE } from "@/server/auth/second-factor-gate";
import { principalFromSessionCookie } from "@/server/auth/session-principal";
import { createContextInner } from "@/server/context";
import { limiterFor } from "@/server/ratelimit/runtime";
import { createCaller } from "@/server/root";
import { getRuntime } from "@/server/runtime";

/** The signed-in principal of the page being rendered, through the same session check as the API. */
export async function getPagePrincipal(): Promise<Principal | null> {
  return principalFromSessionCookie(new Headers(await headers()), getRuntime());
}

/**
 * Pages for signed-in users: no session -> sign-in; a one-time password -> change it first; both come back
 * here. An admin who must still enrol a second factor -> the account page.
 */
export async function requireUser(returnTo: string): Promise<Principal> {
  const principal = await getPagePrincipal();
  if (!principal) redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  if (principal.mustChangePassword) redirect(`/change-password?callbackUrl=${encodeURIComponent(returnTo)}`);
  // ADMIN_2FA=required, an admin without a factor: the API refuses everything else, so the account page first.
  if (principal.kind === "session" && principal.mustEnrolSecondFactor && returnTo !== "/account") redirect(ENROL_PAGE);
  return principal;
}

/** Admin pages: anyone who is not a signed-in admin gets a 404, so the dashboard does not even admit it exists. */
export async function requireAdmin(): Promise<Principal> {
  const principal = await getPagePrincipal();
  if (!principal || principal.role !== "admin") notFound();
  if (principal.mustChangePassword) redirect("/change-password");
  if (principal.kind === "session" && principal.mustEnrolSecondFactor) redirect(ENROL_PAGE);
  return principal;
}

/** A server-side caller of the same procedures, as the page's principal (same checks, same audit). */
export async function serverCaller(principal: Principal) {
  const h = await headers();
  const runtime = getRuntime();
  return createCaller(
    createContextInner({
      db: runtime.db,
      clock: runtime.clock,
      principal,
      transport: "internal",
      client: { userAgent: h.get("user-agent") },
      keyring: runtime.keyring,
      // Not to limit this call (internal calls are not limited) but so procedures can read limits and lockouts.
      limiter: limiterFor(runtime),
      // The posture page judges the configuration this server runs with.
      config: runtime.config,
    }),
  );
}
