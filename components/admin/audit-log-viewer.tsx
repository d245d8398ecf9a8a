"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type FormEvent, Fragment, useState } from "react";
import { errorMessage, useTRPC } from "../trpc";
import { useCursorPages } from "../use-cursor-pages";
import { Alert, Badge, Button, Card, Field, formatTime, Input, Table } from "../ui";

interface Filters {
  action: string;
  actorId: string;
  since: string;
  until: string;
}

/** `datetime-local` values are the viewer's local time; the API takes ISO instants. */
function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function AuditLogViewer({ initialAction, initialActor }: { initialAction: string; initialActor: string }) {
  const trpc = useTRPC();
  const [filters, setFilters] = useState<Filters>({
    action: initialAction,
    actorId: initialActor,
    since: "",
    until: "",
  });
  const [open, setOpen] = useState<string | null>(null);

  const pages = useCursorPages<number>();
  const query = useQuery({
    ...trpc.admin.audit.list.queryOptions({
      limit: 50,
      cursor: pages.cursor,
      action: filters.action || undefined,
      actorId: filters.actorId || undefined,
      since: toIso(filters.since),
      until: toIso(filters.until),
    }),
    placeholderData: keepPreviousData,
  });
  const entries = query.data?.items ?? [];

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (k: string) => String(form.get(k) ?? "").trim();
    setFilters({ action: text("action"), actorId: text("actorId"), since: text("since"), until: text("until") });
    pages.reset();
  }

  return (
    <div className="space-y-6">
      <Card title="Filter">
        <form onSubmit={onSubmit} className="grid gap-3 md:grid-cols-5 md:items-end" aria-label="Filter the audit log">
          <Field label="Action or area" htmlFor="f-action" hint="e.g. contact.delete or contact.">
            <Input id="f-action" name="action" defaultValue={filters.action} maxLength={64} />
          </Field>
          <Field label="Actor id" htmlFor="f-actor">
            <Input id="f-actor" name="actorId" defaultValue={filters.actorId} maxLength={64} />
          </Field>
          <Field label="From" htmlFor="f-since">
            <Input id="f-since" name="since" type="datetime-local" defaultValue={filters.since} />
          </Field>
          <Field label="Until" htmlFor="f-until">
            <Input id="f-until" name="until" type="datetime-local" defaultValue={filters.until} />
          </Field>
          <Button type="submit">Apply</Button>
        </form>
      </Card>
      <Card title="Entries, newest first">
        {query.error ? <Alert>{errorMessage(query.error)}</Alert> : null}
        <Table head={["Time", "Action", "Actor", "Target", "Outcome", "IP", ""]}>
          {entries.map((e) => (
            <Fragment key={e.id}>
              <tr data-testid="audit-row">
                <td className="whitespace-nowrap px-3 py-2 font-mono text-xs">{formatTime(e.at)}</td>
                <td className="px-3 py-2 font-medium">{e.action}</td>
                <td className="px-3 py-2">
                  {e.actorKind}
                  {e.actorId ? <span className="block font-mono text-xs text-slate-500">{e.actorId}</span> : null}
                </td>
                <td className="px-3 py-2 font-mono text-xs">{e.targetId ?? "—"}</td>
                <td className="px-3 py-2">
                  <Badge tone={e.outcome === "success" ? "green" : "red"}>{e.outcome}</Badge>
                </td>
                <td className="px-3 py-2 font-mono text-xs">{e.ip ?? "—"}</td>
                <td className="px-3 py-2 text-right">
                  <Button variant="ghost" onClick={() => setOpen(open === e.id ? null : e.id)}>
                    {open === e.id ? "Hide" : "Details"}
                  </Button>
                </td>
              </tr>
              {open === e.id ? (
                <tr>
                  <td colSpan={7} className="bg-slate-50 px-3 py-2">
                    <dl className="grid grid-cols-[10rem_1fr] gap-x-4 gap-y-1 text-xs">
                      <dt className="text-slate-500">Entry</dt>
                      <dd className="font-mono">{e.id}</dd>
                      <dt className="text-slate-500">Request</dt>
                      <dd className="font-mono">{e.requestId ?? "—"}</dd>
                      <dt className="text-slate-500">User agent</dt>
                      <dd className="break-all">{e.userAgent ?? "—"}</dd>
                      <dt className="text-slate-500">Detail</dt>
                      <dd>
                        <pre className="whitespace-pre-wrap break-all font-mono">
                          {e.detail ? JSON.stringify(e.detail, null, 2) : "—"}
                        </pre>
                      </dd>
                    </dl>
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </Table>
        {query.isSuccess && entries.length === 0 ? (
          <p className="px-3 py-6 text-center text-sm text-slate-500">No entries match these filters.</p>
        ) : null}
        {pages.hasPrevious || query.data?.nextCursor ? (
          <div className="mt-4 flex justify-end gap-2">
            <Button variant="secondary" onClick={pages.previous} disabled={!pages.hasPrevious}>
              Newer
            </Button>
            <Button
              variant="secondary"
              onClick={() => query.data?.nextCursor && pages.next(query.data.nextCursor)}
              disabled={!query.data?.nextCursor}
            >
              Older
            </Button>
          </div>
        ) : null}
      </Card>
    </div>
  );
}
