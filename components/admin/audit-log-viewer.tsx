"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { createColumnHelper, type SortingState, useTable } from "@tanstack/react-table";
import type { inferRouterOutputs } from "@trpc/server";
import { type ReactNode, useEffect, useState } from "react";
import type { AppRouter } from "@/server/root";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, formatTime } from "../ui";
import { CursorPager } from "../ui/cursor-pager";
import { DataTable, type ListFeatures, listFeatures } from "../ui/data-table";
import { useCursorPages } from "../use-cursor-pages";
import { AuditFilterFormCard } from "./audit-filter-form";
import { type AuditFilterForm, apiFilters, EMPTY_FILTERS, fromAddressBar } from "./audit-filters";
import { Party } from "./party";

function exportHref(format: "csv" | "ndjson", f: AuditFilterForm): string {
  const params = new URLSearchParams({ format });
  for (const [key, value] of Object.entries(apiFilters(f))) if (value) params.set(key, value);
  return `/api/admin/audit/export?${params.toString()}`;
}

type Entry = inferRouterOutputs<AppRouter>["admin"]["audit"]["list"]["items"][number];
export type AuditDirection = "asc" | "desc";
const NO_ENTRIES: Entry[] = [];
const col = createColumnHelper<ListFeatures, Entry>();

/**
 * The log's columns. Only Time sorts, on the server (admin.audit.list's
 * `direction`: the chain's seq order, newest or oldest first); the log is
 * append-only and read in time order, so no other order is offered.
 */
function entryColumns(filterBy: (next: Record<string, string>) => void, details: (e: Entry) => ReactNode) {
  return col.columns([
    col.accessor("at", {
      header: "Time",
      sortDescFirst: true,
      cell: (c) => <span className="whitespace-nowrap font-mono text-xs">{formatTime(c.getValue())}</span>,
    }),
    col.accessor("action", {
      header: "Action",
      enableSorting: false,
      cell: ({ row: { original: e } }) => (
        <span className="font-medium">
          {e.action}
          {e.detail && e.detail.aggregated === true ? (
            <span className="ml-2">
              <Badge tone="amber">×{String(e.detail.count)}</Badge>
            </span>
          ) : null}
        </span>
      ),
    }),
    col.display({
      id: "actor",
      header: "Actor",
      cell: ({ row: { original: e } }) => <Party party={e.actor} onFilter={filterBy} />,
    }),
    col.display({
      id: "target",
      header: "Target",
      cell: ({ row: { original: e } }) =>
        e.target ? (
          <>
            <Party party={e.target} side="target" onFilter={filterBy} showKind={false} />
            {e.targetType ? <span className="block text-xs text-slate-500">{e.targetType}</span> : null}
          </>
        ) : (
          "—"
        ),
    }),
    col.accessor("outcome", {
      header: "Outcome",
      enableSorting: false,
      cell: (c) => (
        <Badge tone={c.getValue() === "success" ? "green" : c.getValue() === "denied" ? "amber" : "red"}>
          {c.getValue()}
        </Badge>
      ),
    }),
    col.accessor("ip", {
      header: "IP",
      enableSorting: false,
      cell: (c) => <span className="font-mono text-xs">{c.getValue() ?? "—"}</span>,
    }),
    col.display({
      id: "details",
      header: "",
      cell: ({ row }) => <div className="text-right">{details(row.original)}</div>,
    }),
  ]);
}

/** Keeps the filters (and an oldest-first order) in the address bar, so a reload or a shared link shows the same entries. */
function rememberInUrl(f: AuditFilterForm, direction: AuditDirection) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(f)) if (value) params.set(key, value);
  if (direction === "asc") params.set("direction", "asc");
  const query = params.toString();
  window.history.replaceState(null, "", query ? `?${query}` : window.location.pathname);
}

/** `initialDirection`: from the address bar (`direction=asc`, oldest first); newest first otherwise. */
export function AuditLogViewer({
  initial,
  initialDirection = "desc",
}: {
  initial: AuditFilterForm;
  initialDirection?: AuditDirection;
}) {
  const trpc = useTRPC();
  const [filters, setFilters] = useState<AuditFilterForm>(initial);
  const [open, setOpen] = useState<string | null>(null);
  const [sorting, setSorting] = useState<SortingState>([{ id: "at", desc: initialDirection === "desc" }]);
  const direction: AuditDirection = sorting[0]?.desc === false ? "asc" : "desc";

  const pages = useCursorPages<string>();
  const query = useQuery({
    ...trpc.admin.audit.list.queryOptions({ limit: 50, direction, cursor: pages.cursor, ...apiFilters(filters) }),
    placeholderData: keepPreviousData,
  });
  const actions = useQuery(trpc.admin.audit.actions.queryOptions());
  const verify = useQuery({ ...trpc.admin.audit.verify.queryOptions(), enabled: false, retry: false });
  const entries = query.data?.items ?? NO_ENTRIES;

  function apply(next: AuditFilterForm) {
    setFilters(next);
    setOpen(null);
    pages.reset();
    rememberInUrl(next, direction);
  }

  // Links from the Overview carry instants (since=2026-12-01T10:00:00.000Z): shown in the form as this
  // browser's local time, which only the browser knows, so converted after the first render.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, for the address the page was opened with
  useEffect(() => {
    const local = fromAddressBar(initial);
    if (local.since !== initial.since || local.until !== initial.until) apply(local);
  }, []);

  /** A click on a person or target: the log of that one, the other filters cleared. */
  const filterBy = (next: Record<string, string>) => apply({ ...EMPTY_FILTERS, ...next });

  const table = useTable({
    features: listFeatures,
    columns: entryColumns(filterBy, (e) => (
      <Button variant="ghost" aria-expanded={open === e.id} onClick={() => setOpen(open === e.id ? null : e.id)}>
        {open === e.id ? "Hide" : "Details"}
      </Button>
    )),
    data: entries,
    getRowId: (e) => e.id,
    // Sorted on the server: Time only, newest first, then oldest first, then newest again.
    manualSorting: true,
    enableMultiSort: false,
    enableSortingRemoval: false,
    enableRowSelection: false,
    state: { sorting },
    onSortingChange: (next) => {
      const nextSorting = typeof next === "function" ? next(sorting) : next;
      setSorting(nextSorting);
      setOpen(null);
      pages.reset();
      rememberInUrl(filters, nextSorting[0]?.desc === false ? "asc" : "desc");
    },
  });

  // The form starts from the applied filters; a new key re-creates it with them (e.g. after "same actor").
  const formKey = JSON.stringify(filters);

  return (
    <div className="space-y-6">
      <AuditFilterFormCard
        key={formKey}
        applied={filters}
        actions={actions.data}
        refused={query.error}
        onApply={apply}
      />

      <Card
        title={direction === "desc" ? "Entries, newest first" : "Entries, oldest first"}
        actions={
          <div className="flex flex-wrap items-center gap-2">
            <a
              href={exportHref("csv", filters)}
              download
              className="rounded-md px-3 py-1.5 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-100"
            >
              Export CSV
            </a>
            <a
              href={exportHref("ndjson", filters)}
              download
              className="rounded-md px-3 py-1.5 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-100"
            >
              Export NDJSON
            </a>
            <Button variant="secondary" onClick={() => verify.refetch()} disabled={verify.isFetching}>
              {verify.isFetching ? "Verifying…" : "Verify chain"}
            </Button>
          </div>
        }
      >
        <div className="mb-4 space-y-2">
          {verify.error ? <Alert>{errorMessage(verify.error)}</Alert> : null}
          {verify.data && !verify.isFetching ? (
            verify.data.ok ? (
              <Alert kind="success">
                <span data-testid="verify-result">
                  Chain intact: {verify.data.checked} {verify.data.checked === 1 ? "entry" : "entries"} checked
                  {verify.data.head
                    ? `, head ${verify.data.head.hash.slice(0, 16)}… (seq ${verify.data.head.seq})`
                    : ""}
                  {verify.data.resumesAfter
                    ? `, starting after retention checkpoint seq ${verify.data.resumesAfter.throughSeq}`
                    : ""}
                  .
                </span>
              </Alert>
            ) : (
              <Alert>
                <span data-testid="verify-result">
                  Chain broken at seq {verify.data.broken?.seq}: {verify.data.broken?.message}
                </span>
              </Alert>
            )
          ) : null}
          {query.error ? <Alert>{errorMessage(query.error)}</Alert> : null}
        </div>
        <DataTable
          table={table}
          label="Audit log entries"
          rowTestId="audit-row"
          detail={(e) => (open === e.id ? <EntryDetail entry={e} apply={apply} /> : null)}
          empty={
            query.isSuccess ? (
              <p className="px-3 py-6 text-center text-sm text-slate-500">No entries match these filters.</p>
            ) : null
          }
        />
        <CursorPager
          pages={pages}
          nextCursor={query.data?.nextCursor}
          previousLabel={direction === "desc" ? "Newer" : "Older"}
          nextLabel={direction === "desc" ? "Older" : "Newer"}
        />
      </Card>
    </div>
  );
}

/** One entry in full, with links to the entries that share its actor, target, request or address. */
function EntryDetail({ entry: e, apply }: { entry: Entry; apply: (next: AuditFilterForm) => void }) {
  return (
    <div data-testid="audit-detail">
      <dl className="grid grid-cols-[9rem_1fr] gap-x-4 gap-y-1 text-xs">
        <dt className="text-slate-500">Entry</dt>
        <dd className="font-mono">
          {e.id} (seq {e.seq})
        </dd>
        <dt className="text-slate-500">Time</dt>
        <dd className="font-mono">{e.at}</dd>
        <dt className="text-slate-500">Actor</dt>
        <dd>
          {e.actor.label}{" "}
          <span className="font-mono text-slate-500">
            ({e.actorKind} {e.actorId ?? ""})
          </span>
        </dd>
        <dt className="text-slate-500">Target</dt>
        <dd>
          {e.target && e.target.label !== e.targetId ? `${e.target.label} ` : ""}
          <span className="font-mono text-slate-500">
            {e.targetType ?? "—"} {e.targetId ?? ""}
          </span>
        </dd>
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
        <dt className="text-slate-500">Hash</dt>
        <dd className="break-all font-mono text-slate-600">{e.hash || "(from before the chain)"}</dd>
        <dt className="text-slate-500">Previous hash</dt>
        <dd className="break-all font-mono text-slate-600">{e.prevHash || "—"}</dd>
      </dl>
      <div className="mt-3 flex flex-wrap gap-2">
        {e.actorId ? (
          <Button variant="secondary" onClick={() => apply({ ...EMPTY_FILTERS, actorId: e.actorId ?? "" })}>
            Same actor
          </Button>
        ) : null}
        {e.targetId ? (
          <Button variant="secondary" onClick={() => apply({ ...EMPTY_FILTERS, targetId: e.targetId ?? "" })}>
            Same target
          </Button>
        ) : null}
        {e.requestId ? (
          <Button variant="secondary" onClick={() => apply({ ...EMPTY_FILTERS, requestId: e.requestId ?? "" })}>
            Same request
          </Button>
        ) : null}
        {e.ip ? (
          <Button variant="secondary" onClick={() => apply({ ...EMPTY_FILTERS, ip: e.ip ?? "" })}>
            Same IP
          </Button>
        ) : null}
      </div>
    </div>
  );
}
