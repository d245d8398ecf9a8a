import type { Metadata } from "next";
import type { ReactNode } from "react";
import { AppShell } from "@/components/app-shell";
import { ADMIN_NAV } from "../_lib/nav";
import { requireAdmin } from "../_lib/session";

export const metadata: Metadata = { title: { default: "Admin", template: "%s · Admin · Gatehouse" } };
export const dynamic = "force-dynamic";

/**
 * The admin shell. Not the guard: Next.js renders the page beside this layout, and a client
 * navigation renders the page without it. Non-admins are refused before Next.js routes the request
 * (proxy.ts guardAdminPages), and every admin page checks again (requireAdmin).
 */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const principal = await requireAdmin();
  return (
    <AppShell nav={ADMIN_NAV} email={principal.email} area="admin">
      {children}
    </AppShell>
  );
}
