import type { NavItem } from "@/components/app-shell";
import type { Principal } from "@/server/auth/principal";

/** Navigation of the signed-in area. Features add their entries here. */
export function userNav(principal: Principal): NavItem[] {
  const items: NavItem[] = [
    { href: "/contacts", label: "Contacts" },
    { href: "/settings/tokens", label: "API tokens" },
    { href: "/settings/apps", label: "Authorised apps" },
  ];
  if (principal.role === "admin") items.push({ href: "/admin", label: "Admin" });
  return items;
}

/** Navigation of the admin dashboard. Features add their pages here. */
export const ADMIN_NAV: NavItem[] = [
  { href: "/admin", label: "Overview" },
  { href: "/admin/users", label: "Users" },
  { href: "/admin/tokens", label: "Tokens" },
  { href: "/admin/oauth-clients", label: "OAuth clients" },
  { href: "/admin/audit", label: "Audit log" },
  { href: "/admin/cors", label: "CORS origins" },
  { href: "/admin/rate-limits", label: "Rate limits" },
  { href: "/admin/keys", label: "Encryption keys" },
  { href: "/admin/posture", label: "Posture" },
  { href: "/contacts", label: "My contacts" },
];
