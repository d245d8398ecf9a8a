import type { Metadata } from "next";
import type { ReactNode } from "react";
import { AppShell } from "@/components/app-shell";
import { userNav } from "../_lib/nav";
import { requireAdmin } from "../_lib/session";

export const metadata: Metadata = { title: { default: "Admin", template: "%s · Admin · Gatehouse" } };
export const dynamic = "force-dynamic";

/**
 * The admin pages in the one app shell, with the same navigation as every other page (an admin's:
 * the member items and the admin section). Not the guard: Next.js renders the page beside this
 * layout, and a client navigation renders the page without it. Non-admins are refused before
 * Next.js routes the request (proxy.ts guardAdminPages), and every admin page checks again
 * (requireAdmin).
 */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const principal = await requireAdmin();
  return (
    <AppShell nav={userNav(principal)} email={principal.email}>
      {children}
    </AppShell>
  );
}
