import type { Metadata } from "next";
import { AuditLogViewer } from "@/components/admin/audit-log-viewer";

export const metadata: Metadata = { title: "Audit log" };

export default async function AdminAuditPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const action = typeof params.action === "string" ? params.action : "";
  const actor = typeof params.actor === "string" ? params.actor : "";
  return (
    <>
      <h1 className="text-xl font-semibold">Audit log</h1>
      <AuditLogViewer initialAction={action} initialActor={actor} />
    </>
  );
}
