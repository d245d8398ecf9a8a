import type { Metadata } from "next";
import type { ReactNode } from "react";
import { AppShell } from "@/components/app-shell";
import { ADMIN_NAV } from "../_lib/nav";
import { requireAdmin } from "../_lib/session";

export const metadata: Metadata = { title: { default: "Admin", template: "%s · Admin · Gatehouse" } };
export const dynamic = "force-dynamic";

/** Every /admin route passes here first: non-admins get a 404 before any admin data is loaded. */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const principal = await requireAdmin();
  return (
    <AppShell nav={ADMIN_NAV} email={principal.email} area="admin">
      {children}
    </AppShell>
  );
}
