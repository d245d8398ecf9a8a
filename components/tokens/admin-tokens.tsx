"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createColumnHelper, type RowSelectionState, type SortingState, useTable } from "@tanstack/react-table";
import type { inferRouterOutputs } from "@trpc/server";
import { type ReactNode, useState } from "react";
import type { AppRouter } from "@/server/root";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, CopyText, formatTime, Input, OffsetPager, Select, toast } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { DataTable, type ListFeatures, listFeatures, selectColumn, serverOrder } from "../ui/data-table";
import { tokenLabel } from "./token-parts";
import { TokenStatusBadge } from "./token-status";

const PAGE = 50;
type Status = "active" | "expired" | "revoked";

type AdminToken = inferRouterOutputs<AppRouter>["admin"]["tokens"]["list"]["items"][number];
const NO_TOKENS: AdminToken[] = [];
const col = createColumnHelper<ListFeatures, AdminToken>();

function tokenColumns(revokeButton: (t: AdminToken) => ReactNode) {
  return col.columns([
    selectColumn<AdminToken>({
      page: "Select every active token on this page",
      row: (t) => `Select ${t.name} of ${t.owner.email}`,
    }),
    col.display({
      id: "owner",
      header: "Owner",
      cell: ({ row: { original: t } }) => (
        <>
          {t.owner.email}
          {t.owner.disabled ? (
            <span className="ml-1">
              <Badge tone="red">owner disabled</Badge>
            </span>
          ) : null}
        </>
      ),
    }),
    col.accessor("name", { header: "Name", cell: (c) => <span className="font-medium">{c.getValue()}</span> }),
    col.display({
      id: "token",
      header: "Token",
      cell: ({ row: { original: t } }) => (
        <span className="text-xs">
          <span className="block font-mono">{t.display}</span>
          <CopyText value={t.id} label={`the id of ${t.name}`} />
        </span>
      ),
    }),
    col.accessor((t) => t.scopes.join(" "), {
      id: "scopes",
      enableSorting: false,
      header: "Scopes",
      cell: (c) => <span className="text-xs">{c.getValue()}</span>,
    }),
    col.display({ id: "status", header: "Status", cell: ({ row }) => <TokenStatusBadge token={row.original} /> }),
    col.accessor("createdAt", {
      sortDescFirst: true,
      header: "Created",
      cell: (c) => <span className="text-xs">{formatTime(c.getValue())}</span>,
    }),
    col.accessor((t) => t.graceUntil ?? t.expiresAt, {
      id: "expires",
      enableSorting: false,
      header: "Expires",
      cell: (c) => <span className="text-xs">{formatTime(c.getValue())}</span>,
    }),
    col.accessor("lastUsedAt", {
      header: "Last used",
      sortDescFirst: true,
      cell: ({ row: { original: t } }) => (
        <span className="text-xs">
          {formatTime(t.lastUsedAt)}
          {t.lastUsedIp ? <span className="block font-mono text-slate-500">{t.lastUsedIp}</span> : null}
        </span>
      ),
    }),
    col.display({
      id: "actions",
      header: "",
      cell: ({ row }) => (row.original.status === "active" ? revokeButton(row.original) : null),
    }),
  ]);
}

/** Every API token in the installation, with its owner; filters and revocation. */
export function AdminTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState<Status | "">("active");
  const [offset, setOffset] = useState(0);
  const [sorting, setSorting] = useState<SortingState>([{ id: "createdAt", desc: true }]);
  const list = useQuery({
    ...trpc.admin.tokens.list.queryOptions({
      search: search || undefined,
      status: status || undefined,
      ...(serverOrder(sorting) as { sort?: "createdAt" | "lastUsedAt" | "name"; direction?: "asc" | "desc" }),
      offset,
      limit: PAGE,
    }),
    placeholderData: keepPreviousData,
  });
  const revoke = useMutation(trpc.admin.tokens.revoke.mutationOptions());
  const [rowSelection, setRowSelection] = useState<RowSelectionState>({});
  const items = list.data?.items ?? NO_TOKENS;
  const refresh = () => {
    setRowSelection({});
    void queryClient.invalidateQueries({ queryKey: trpc.admin.tokens.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.admin.users.pathKey() });
  };
  const revokeOne = (t: AdminToken) =>
    revoke.mutateAsync({ id: t.id }).then(
      () => toast.success(`Revoked token ${tokenLabel(t)} of ${t.owner.email}.`),
      (error: unknown) => toast.error(`Could not revoke “${t.name}”`, errorMessage(error)),
    );
  const table = useTable({
    features: listFeatures,
    columns: tokenColumns((t) => (
      <ConfirmDialog
        trigger={
          <Button variant="ghost" className="text-red-700" aria-label={`Revoke ${t.name} of ${t.owner.email}`}>
            Revoke
          </Button>
        }
        title={`Revoke token ${tokenLabel(t)} of ${t.owner.email}?`}
        description={
          <p>
            Requests with it fail at once, wherever {t.owner.email} uses it. This cannot be undone; they can make a new
            one.
          </p>
        }
        confirmLabel="Revoke token"
        onConfirm={() => revokeOne(t).then(refresh)}
      />
    )),
    data: items,
    getRowId: (t) => t.id,
    // Sorted on the server (Name, Created, Last used: their ids are its `sort` names); only active tokens
    // can be ticked for revocation.
    manualSorting: true,
    enableMultiSort: false,
    enableSortingRemoval: false,
    enableRowSelection: (row) => row.original.status === "active",
    state: { sorting, rowSelection },
    onSortingChange: (next) => {
      setSorting(next);
      change();
    },
    onRowSelectionChange: setRowSelection,
  });
  const picked = items.filter((t) => rowSelection[t.id] && t.status === "active");
  const change = () => {
    setOffset(0);
    setRowSelection({});
  };

  return (
    <Card
      title={`Tokens${list.data ? ` (${list.data.total})` : ""}`}
      actions={
        <div className="flex gap-2">
          <Input
            type="search"
            aria-label="Search tokens"
            placeholder="Owner email or token name"
            className="w-64"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              change();
            }}
          />
          <Select
            aria-label="Status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as Status | "");
              change();
            }}
          >
            <option value="">any status</option>
            <option value="active">active</option>
            <option value="expired">expired</option>
            <option value="revoked">revoked</option>
          </Select>
        </div>
      }
    >
      {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
      {picked.length > 0 ? (
        <div className="mb-3 flex items-center gap-3 rounded-md bg-slate-50 px-3 py-2 text-sm" data-testid="bulk-bar">
          <span>{picked.length} selected</span>
          <ConfirmDialog
            trigger={<Button variant="danger">Revoke selected</Button>}
            title={`Revoke ${picked.length} token${picked.length === 1 ? "" : "s"}?`}
            description={
              <>
                <p>Requests with them fail at once. This cannot be undone:</p>
                <ul className="mt-2 list-disc pl-5">
                  {picked.map((t) => (
                    <li key={t.id}>
                      {tokenLabel(t)} of {t.owner.email}
                    </li>
                  ))}
                </ul>
              </>
            }
            confirmLabel={`Revoke ${picked.length} token${picked.length === 1 ? "" : "s"}`}
            onConfirm={async () => {
              for (const t of picked) await revokeOne(t);
              refresh();
            }}
          />
        </div>
      ) : null}
      <DataTable table={table} label="Tokens" rowTestId="admin-token-row" />
      <div className="mt-4 flex justify-end">
        <OffsetPager
          offset={offset}
          pageSize={PAGE}
          total={list.data?.total}
          onChange={(next) => {
            setOffset(next);
            setRowSelection({});
          }}
        />
      </div>
    </Card>
  );
}
