"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, CopyText, formatTime, Input, OffsetPager, Select, Table, toast } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { tokenLabel } from "./token-parts";
import { TokenStatusBadge } from "./token-status";

const PAGE = 50;
type Status = "active" | "expired" | "revoked";

/** Every API token in the installation, with its owner; filters and revocation. */
export function AdminTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState<Status | "">("active");
  const [offset, setOffset] = useState(0);
  const list = useQuery({
    ...trpc.admin.tokens.list.queryOptions({
      search: search || undefined,
      status: status || undefined,
      offset,
      limit: PAGE,
    }),
    placeholderData: keepPreviousData,
  });
  const revoke = useMutation(trpc.admin.tokens.revoke.mutationOptions());

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
              setOffset(0);
            }}
          />
          <Select
            aria-label="Status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as Status | "");
              setOffset(0);
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
      <Table head={["Owner", "Name", "Token", "Scopes", "Status", "Created", "Expires", "Last used", ""]}>
        {list.data?.items.map((t) => (
          <tr key={t.id} data-testid="admin-token-row">
            <td className="px-3 py-2">
              {t.owner.email}
              {t.owner.disabled ? (
                <span className="ml-1">
                  <Badge tone="red">owner disabled</Badge>
                </span>
              ) : null}
            </td>
            <td className="px-3 py-2 font-medium">{t.name}</td>
            <td className="px-3 py-2 text-xs">
              <span className="block font-mono">{t.display}</span>
              <CopyText value={t.id} label={`the id of ${t.name}`} />
            </td>
            <td className="px-3 py-2 text-xs">{t.scopes.join(" ")}</td>
            <td className="px-3 py-2">
              <TokenStatusBadge token={t} />
            </td>
            <td className="px-3 py-2 text-xs">{formatTime(t.createdAt)}</td>
            <td className="px-3 py-2 text-xs">{formatTime(t.graceUntil ?? t.expiresAt)}</td>
            <td className="px-3 py-2 text-xs">
              {formatTime(t.lastUsedAt)}
              {t.lastUsedIp ? <span className="block font-mono text-slate-500">{t.lastUsedIp}</span> : null}
            </td>
            <td className="px-3 py-2 text-right">
              {t.status === "active" ? (
                <ConfirmDialog
                  trigger={
                    <Button
                      variant="ghost"
                      className="text-red-700"
                      aria-label={`Revoke ${t.name} of ${t.owner.email}`}
                    >
                      Revoke
                    </Button>
                  }
                  title={`Revoke token ${tokenLabel(t)} of ${t.owner.email}?`}
                  description={
                    <p>
                      Requests with it fail at once, wherever {t.owner.email} uses it. This cannot be undone; they can
                      make a new one.
                    </p>
                  }
                  confirmLabel="Revoke token"
                  onConfirm={() =>
                    revoke.mutateAsync({ id: t.id }).then(
                      () => {
                        toast.success(`Revoked token ${tokenLabel(t)} of ${t.owner.email}.`);
                        void queryClient.invalidateQueries({ queryKey: trpc.admin.tokens.pathKey() });
                        void queryClient.invalidateQueries({ queryKey: trpc.admin.users.pathKey() });
                      },
                      (error: unknown) => toast.error(`Could not revoke “${t.name}”`, errorMessage(error)),
                    )
                  }
                />
              ) : null}
            </td>
          </tr>
        ))}
      </Table>
      <div className="mt-4 flex justify-end">
        <OffsetPager offset={offset} pageSize={PAGE} total={list.data?.total} onChange={setOffset} />
      </div>
    </Card>
  );
}
