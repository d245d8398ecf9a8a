import type { NavItem } from "@/components/app-shell";
import type { Principal } from "@/server/auth/principal";

/**
 * The one navigation of the signed-in area (issue 16): everyone sees the member items; an admin
 * sees the same plus the admin section, on every page — the shell groups items by `group`.
 * Features add their pages here.
 */

/** What every signed-in person works with. */
export const MEMBER_NAV: NavItem[] = [
  { href: "/contacts", label: "Contacts" },
  { href: "/settings/tokens", label: "API tokens" },
  { href: "/settings/apps", label: "Authorised apps" },
  { href: "/account", label: "Account" },
];

/** The admin dashboard's pages, shown to admins under their own heading. */
export const ADMIN_NAV: NavItem[] = [
  { href: "/admin", label: "Overview", group: "Admin" },
  { href: "/admin/users", label: "Users", group: "Admin" },
  { href: "/admin/tokens", label: "Tokens", group: "Admin" },
  { href: "/admin/oauth-clients", label: "OAuth clients", group: "Admin" },
  { href: "/admin/audit", label: "Audit log", group: "Admin" },
  { href: "/admin/cors", label: "CORS origins", group: "Admin" },
  { href: "/admin/rate-limits", label: "Rate limits", group: "Admin" },
  { href: "/admin/keys", label: "Encryption keys", group: "Admin" },
  { href: "/admin/posture", label: "Posture", group: "Admin" },
];

/** Everything this person may open from the navigation: the same list on every page, by role only. */
export function userNav(principal: Pick<Principal, "role">): NavItem[] {
  return principal.role === "admin" ? [...MEMBER_NAV, ...ADMIN_NAV] : [...MEMBER_NAV];
}
