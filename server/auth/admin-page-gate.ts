import { type Db, openDatabase } from "@/db";
import { type Clock, systemClock } from "../clock";
import { type Config, getConfig } from "../config";
import { principalFromSessionCookie } from "./session-principal";

/**
 * The dashboard's /admin pages are for signed-in admins only, whatever kind
 * of request asks for them. A layout is not a guard: Next.js renders a
 * route's layout and page in parallel (a `notFound()` in the layout does not
 * stop the page from rendering into the payload), and a client navigation's
 * RSC request renders only the segments below the layout the client already
 * has (Next-Router-State-Tree), so the layout's check does not even run.
 * That served the admin page segments to members and strangers as
 * `text/x-component` (and inside the 404 page's HTML).
 *
 * So the check runs in proxy.ts, before Next.js routes the request at all, for
 * every request kind (HTML, RSC, prefetch, segment prefetch, server action,
 * HEAD); every admin page checks again itself (app/_lib/session.ts
 * requireAdmin), so a page moved out of reach of this matcher still refuses.
 */

/**
 * Paths that are, or might be read by Next.js as, an admin page: /admin,
 * /admin/…, its RSC forms (/admin.rsc, /admin.segments/…), any case, any
 * repeated slash, percent-encoded letters. Over-matching is harmless: such a
 * path is a 404 for a non-admin anyway.
 */
export function isAdminPagePath(pathname: string): boolean {
  let decoded = pathname;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    // A malformed escape: judge the raw text.
  }
  return /^\/+admin(?:[/.\\]|$)/i.test(decoded);
}

/**
 * admin: pass. sign-in: no live session (none, expired, ended): a page request
 * is sent to sign in and come back. not-found: a signed-in non-admin, who must
 * not learn that admin pages exist. change-password: a one-time password first.
 * enrol-second-factor: an admin without a second factor while ADMIN_2FA=required.
 */
export type AdminPageVerdict = "admin" | "not-found" | "sign-in" | "change-password" | "enrol-second-factor";

export interface GateRuntime {
  config: Config;
  db: Db;
  clock: Clock;
}
let gateRuntime: GateRuntime | undefined;

/**
 * What proxy.ts needs to read a session: the configuration, a connection and
 * the clock. Not getRuntime(): the proxy is bundled apart from the pages, so
 * it would open a second keyring it never uses.
 */
function runtime(): GateRuntime {
  if (!gateRuntime) {
    const config = getConfig();
    gateRuntime = { config, db: openDatabase(config.databaseUrl ?? config.databaseFile), clock: systemClock };
  }
  return gateRuntime;
}

/**
 * Admin: pass. No live session: sign in (the sign-in page says nothing an
 * admin page holds; it is where every other page sends a stranger too). A
 * signed-in member: 404, as if /admin did not exist. A one-time password:
 * change it first.
 */
export async function adminPageVerdict(headers: Headers, rt: GateRuntime = runtime()): Promise<AdminPageVerdict> {
  const principal = await principalFromSessionCookie(headers, rt);
  if (!principal) return "sign-in";
  if (principal.role !== "admin") return "not-found";
  if (principal.mustChangePassword) return "change-password";
  // ADMIN_2FA=required and no factor yet: the account page, to enrol one (server/auth/second-factor-gate.ts).
  return principal.kind === "session" && principal.mustEnrolSecondFactor ? "enrol-second-factor" : "admin";
}
