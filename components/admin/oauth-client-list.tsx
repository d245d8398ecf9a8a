"use client";

import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { createColumnHelper, type SortingState, useTable } from "@tanstack/react-table";
import { type ReactNode, useState } from "react";
import type { OAuthClientSort } from "@/server/routers/admin/oauth-clients.schemas";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, formatTime, Select, Table, toast } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { CursorPager } from "../ui/cursor-pager";
import { DataTable, type ListFeatures, listFeatures, serverOrder } from "../ui/data-table";
import { useCursorPages } from "../use-cursor-pages";
import { EditClientForm } from "./oauth-client-form";
import { type Client, DAY, GRACE_CHOICES, type Outputs } from "./oauth-clients-shared";

const PAGE = 50;
const NO_CLIENTS: Client[] = [];
const col = createColumnHelper<ListFeatures, Client>();

/** The clients' columns; the ids of the sortable ones (Name, Created) are the server's `sort` names. */
function clientColumns(actions: (c: Client) => ReactNode) {
  return col.columns([
    col.accessor("name", { header: "Name", cell: (c) => <span className="font-medium">{c.getValue()}</span> }),
    col.accessor("id", {
      header: "client_id",
      enableSorting: false,
      cell: (c) => <span className="font-mono text-xs">{c.getValue()}</span>,
    }),
    col.accessor("type", {
      header: "Type",
      enableSorting: false,
      cell: (c) => <Badge tone={c.getValue() === "confidential" ? "blue" : "slate"}>{c.getValue()}</Badge>,
    }),
    col.accessor("grantTypes", {
      header: "Grant types",
      enableSorting: false,
      cell: (c) => (
        <span className="text-xs">
          {c.getValue().map((g) => (
            <code key={g} className="block">
              {g}
            </code>
          ))}
        </span>
      ),
    }),
    col.accessor("scopes", {
      header: "Scopes",
      enableSorting: false,
      cell: (c) => (
        <div className="flex flex-wrap gap-1">
          {c.getValue().map((s) => (
            <Badge key={s}>{s}</Badge>
          ))}
        </div>
      ),
    }),
    col.accessor("accessTokenSigningAlg", {
      header: "Token signing",
      enableSorting: false,
      cell: (c) => (
        <code className="text-xs" data-testid="oauth-client-signing-alg">
          {c.getValue()}
        </code>
      ),
    }),
    col.display({
      id: "secret",
      header: "Secret",
      cell: ({ row: { original: c } }) => (
        <span className="text-xs">
          {c.secretDisplay ? <span className="font-mono">{c.secretDisplay}</span> : "none (public)"}
          {c.previousSecretExpiresAt ? (
            <span className="block text-amber-800">previous valid until {formatTime(c.previousSecretExpiresAt)}</span>
          ) : null}
        </span>
      ),
    }),
    col.accessor("activeGrants", {
      header: "Active grants",
      enableSorting: false,
      cell: (c) => <span className="block text-right tabular-nums">{c.getValue()}</span>,
    }),
    col.display({
      id: "status",
      header: "Status",
      cell: ({ row: { original: c } }) =>
        c.disabledAt ? <Badge tone="red">disabled</Badge> : <Badge tone="green">active</Badge>,
    }),
    col.accessor("createdAt", {
      header: "Created",
      sortDescFirst: true,
      cell: (c) => <span className="whitespace-nowrap text-xs">{formatTime(c.getValue())}</span>,
    }),
    col.display({ id: "actions", header: "", cell: ({ row }) => actions(row.original) }),
  ]);
}

/** The registered clients: rotate a secret, disable, delete, edit, and see what users have granted each. */
export function ClientList({
  onRotated,
  onChanged,
}: {
  onRotated: (rotated: Outputs["rotateSecret"]) => void;
  onChanged: () => void;
}) {
  const trpc = useTRPC();
  // Sorted and paged on the server (admin.oauthClients.list's sort, direction and cursor).
  const [sorting, setSorting] = useState<SortingState>([{ id: "createdAt", desc: true }]);
  const pages = useCursorPages<string>();
  const order = serverOrder(sorting) as { sort?: OAuthClientSort; direction?: "asc" | "desc" };
  const list = useQuery({
    ...trpc.admin.oauthClients.list.queryOptions({ ...order, cursor: pages.cursor, limit: PAGE }),
    placeholderData: keepPreviousData,
  });
  const [grace, setGrace] = useState(String(DAY));
  const [notice, setNotice] = useState<string | null>(null);
  const [openGrantsOf, setOpenGrantsOf] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const rotate = useMutation(trpc.admin.oauthClients.rotateSecret.mutationOptions({ onSuccess: onRotated }));
  const setDisabled = useMutation(trpc.admin.oauthClients.setDisabled.mutationOptions());
  const remove = useMutation(trpc.admin.oauthClients.delete.mutationOptions());
  const clients = list.data?.items ?? NO_CLIENTS;
  const onePage = list.data !== undefined && !list.data.nextCursor && !pages.hasPrevious;
  const graceLabel = GRACE_CHOICES.find(([, s]) => String(s) === grace)?.[0] ?? "none";
  const grantsOf = clients.find((c) => c.id === openGrantsOf) ?? null;
  const edited = clients.find((c) => c.id === editing) ?? null;

  const failed = (what: string) => (error: unknown) => toast.error(what, errorMessage(error));
  const graceWhen = grace === "0" ? "at once" : `in ${graceLabel}`;

  function rotateSecret(c: Client) {
    setNotice(null);
    return rotate.mutateAsync({ id: c.id, graceSeconds: Number(grace) }).then(
      () => {
        toast.success(`Rotated the secret of ${c.name}.`, `The previous secret stops working ${graceWhen}.`);
      },
      failed(`Could not rotate the secret of ${c.name}`),
    );
  }

  function setClientDisabled(c: Client, disabled: boolean) {
    return setDisabled.mutateAsync({ id: c.id, disabled }).then(
      (r) => {
        toast.success(`${r.name} is ${r.disabledAt ? "disabled" : "enabled again"}.`);
        onChanged();
      },
      failed(`Could not ${disabled ? "disable" : "enable"} ${c.name}`),
    );
  }

  function deleteClient(c: Client) {
    return remove.mutateAsync({ id: c.id }).then(
      () => {
        toast.success(`Deleted ${c.name}.`, "Its grants and tokens have ended.");
        if (openGrantsOf === c.id) setOpenGrantsOf(null);
        if (editing === c.id) setEditing(null);
        onChanged();
      },
      failed(`Could not delete ${c.name}`),
    );
  }

  const table = useTable({
    features: listFeatures,
    // Stacked, so the table fits the page instead of hiding actions behind a scroll.
    columns: clientColumns((c) => (
      <div className="flex flex-col items-end gap-1 whitespace-nowrap">
        <Button
          variant="ghost"
          aria-label={`Edit ${c.name}`}
          aria-pressed={c.id === editing}
          onClick={() => {
            setNotice(null);
            setEditing(c.id === editing ? null : c.id);
          }}
        >
          Edit
        </Button>
        <Button
          variant="ghost"
          aria-label={`Grants of ${c.name}`}
          aria-pressed={c.id === openGrantsOf}
          onClick={() => setOpenGrantsOf(c.id === openGrantsOf ? null : c.id)}
        >
          Grants
        </Button>
        {c.type === "confidential" ? (
          <ConfirmDialog
            trigger={
              <Button variant="ghost" aria-label={`Rotate the secret of ${c.name}`} disabled={rotate.isPending}>
                Rotate secret
              </Button>
            }
            title={`Rotate the secret of ${c.name} (${c.id})?`}
            description={
              <p>
                A new secret is made and shown once. The current secret stops working {graceWhen}: put the new one into
                the application before then.
              </p>
            }
            confirmLabel="Rotate secret"
            onConfirm={() => rotateSecret(c)}
          />
        ) : null}
        {c.disabledAt ? (
          <Button variant="ghost" aria-label={`Enable ${c.name}`} onClick={() => setClientDisabled(c, false)}>
            Enable
          </Button>
        ) : (
          <ConfirmDialog
            trigger={
              <Button variant="ghost" aria-label={`Disable ${c.name}`}>
                Disable
              </Button>
            }
            title={`Disable ${c.name} (${c.id})?`}
            description={
              <p>
                It can no longer authenticate, and its {c.activeGrants} active grant(s) are revoked for good: enabling
                it again does not bring them back.
              </p>
            }
            confirmLabel="Disable client"
            onConfirm={() => setClientDisabled(c, true)}
          />
        )}
        <ConfirmDialog
          trigger={
            <Button variant="ghost" className="text-red-700" aria-label={`Delete ${c.name}`}>
              Delete
            </Button>
          }
          title={`Delete ${c.name} (${c.id})?`}
          description={
            <p>
              Every grant and token it holds ends now, and the application can no longer sign anyone in. This cannot be
              undone.
            </p>
          }
          confirmLabel="Delete client"
          onConfirm={() => deleteClient(c)}
        />
      </div>
    )),
    data: clients,
    getRowId: (c) => c.id,
    manualSorting: true,
    enableMultiSort: false,
    enableSortingRemoval: false,
    enableRowSelection: false,
    state: { sorting },
    onSortingChange: (next) => {
      setSorting(next);
      pages.reset();
    },
  });

  return (
    <>
      <Card title={`Clients${onePage ? ` (${clients.length})` : ""}`}>
        {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
        {notice ? <Alert kind="success">{notice}</Alert> : null}
        <div className="my-3 flex items-center gap-2 text-sm text-slate-600">
          <label htmlFor="oauth-grace">When rotating a secret, keep the old one working for</label>
          <Select id="oauth-grace" value={grace} onChange={(e) => setGrace(e.target.value)}>
            {GRACE_CHOICES.map(([label, seconds]) => (
              <option key={label} value={String(seconds)}>
                {label}
              </option>
            ))}
          </Select>
        </div>
        <DataTable
          table={table}
          label="OAuth clients"
          rowTestId="oauth-client-row"
          rowClassName={(c) => (c.id === openGrantsOf || c.id === editing ? "bg-brand-50" : undefined)}
          empty={
            list.isSuccess && clients.length === 0 ? (
              <p className="px-3 py-6 text-center text-sm text-slate-500">No clients registered yet.</p>
            ) : null
          }
        />
        <CursorPager pages={pages} nextCursor={list.data?.nextCursor} />
      </Card>
      {edited ? (
        // Keyed by client: switching to another client starts from that one's settings.
        <EditClientForm
          key={edited.id}
          client={edited}
          onClose={() => setEditing(null)}
          onSaved={(updated) => {
            setNotice(`Saved the changes to ${updated.name}.`);
            setEditing(null);
            onChanged();
          }}
        />
      ) : null}
      {grantsOf ? <ClientGrants client={grantsOf} onChanged={onChanged} onClose={() => setOpenGrantsOf(null)} /> : null}
    </>
  );
}

function ClientGrants({ client, onChanged, onClose }: { client: Client; onChanged: () => void; onClose: () => void }) {
  const trpc = useTRPC();
  const grants = useQuery(trpc.admin.oauthClients.grants.queryOptions({ id: client.id }));
  const revoke = useMutation(trpc.admin.oauthClients.revokeGrant.mutationOptions());
  const items = grants.data?.items ?? [];
  return (
    <Card
      title={`Active grants of ${client.name}`}
      actions={
        <Button variant="ghost" onClick={onClose}>
          Close
        </Button>
      }
    >
      {grants.error ? <Alert>{errorMessage(grants.error)}</Alert> : null}
      <Table
        head={["User", "Kind", "Scopes", "Created", "Expires", ""]}
        empty={
          grants.isSuccess && items.length === 0 ? (
            <p className="px-3 py-6 text-center text-sm text-slate-500">No active grants.</p>
          ) : null
        }
      >
        {items.map((g) => (
          <tr key={g.id} data-testid="oauth-grant-row">
            <td className="px-3 py-2">{g.userEmail}</td>
            <td className="px-3 py-2 text-xs">
              <code>{g.kind}</code>
            </td>
            <td className="px-3 py-2">
              <div className="flex flex-wrap gap-1">
                {g.scopes.map((s) => (
                  <Badge key={s}>{s}</Badge>
                ))}
              </div>
            </td>
            <td className="px-3 py-2 text-xs">{formatTime(g.createdAt)}</td>
            <td className="px-3 py-2 text-xs">{formatTime(g.expiresAt)}</td>
            <td className="px-3 py-2 text-right">
              <ConfirmDialog
                trigger={
                  <Button
                    variant="ghost"
                    className="text-red-700"
                    aria-label={`Revoke the grant of ${g.userEmail}`}
                    disabled={revoke.isPending}
                  >
                    Revoke
                  </Button>
                }
                title={`Revoke ${g.userEmail}’s grant to ${client.name}?`}
                description={
                  <p>
                    Its access and refresh tokens stop working now; {client.name} must ask {g.userEmail} again.
                  </p>
                }
                confirmLabel="Revoke grant"
                onConfirm={() =>
                  revoke.mutateAsync({ grantId: g.id }).then(
                    () => {
                      toast.success(`Revoked ${g.userEmail}’s grant to ${client.name}.`);
                      onChanged();
                    },
                    (error: unknown) => toast.error("The grant was not revoked", errorMessage(error)),
                  )
                }
              />
            </td>
          </tr>
        ))}
      </Table>
    </Card>
  );
}
