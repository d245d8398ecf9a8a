import type { Metadata } from "next";
import { type AuditFilterForm, EMPTY_FILTERS } from "@/components/admin/audit-filters";
import { AuditLogViewer } from "@/components/admin/audit-log-viewer";
import { requireAdmin } from "../../_lib/session";

export const metadata: Metadata = { title: "Audit log" };

/**
 * Filters come from the address bar (links from the Overview, a reload, a shared link); `actor` is the old name of
 * actorId. `direction=asc` shows the oldest entries first.
 */
export default async function AdminAuditPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  // The proxy already refused non-admins (proxy.ts guardAdminPages); this page never relies on that alone.
  await requireAdmin();
  const params = await searchParams;
  const initial: AuditFilterForm = { ...EMPTY_FILTERS };
  for (const key of Object.keys(EMPTY_FILTERS) as Array<keyof AuditFilterForm>) {
    const value = params[key];
    if (typeof value === "string") initial[key] = value.slice(0, 200);
  }
  if (!initial.actorId && typeof params.actor === "string") initial.actorId = params.actor.slice(0, 64);
  return (
    <>
      <h1 className="text-xl font-semibold">Audit log</h1>
      <AuditLogViewer initial={initial} initialDirection={params.direction === "asc" ? "asc" : "desc"} />
    </>
  );
}
