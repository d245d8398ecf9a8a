"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { AppRouter } from "@/server/root";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, CopyText, formatTime, Select, Table, toast } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { type CreatedToken, CreateTokenForm, DAY, NewTokenNotice, tokenLabel } from "./token-parts";
import { TokenStatusBadge } from "./token-status";

/** A user's own API tokens: create (shown once), list, rotate, revoke, and sign out everywhere. */
export function TokensManager() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [fresh, setFresh] = useState<CreatedToken | null>(null);
  const options = useQuery(trpc.tokens.options.queryOptions({}));
  const [status, setStatus] = useState<"" | "active" | "expired" | "revoked">("");
  const [sort, setSort] = useState<"createdAt" | "lastUsedAt" | "name">("createdAt");
  // Filtered and sorted by the server (tokens.list status and sort).
  const list = useQuery(trpc.tokens.list.queryOptions({ limit: 100, status: status || undefined, sort }));
  const create = useMutation(trpc.tokens.create.mutationOptions());
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.tokens.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.rateLimits.pathKey() }),
    ]);

  return (
    <div className="space-y-6">
      {fresh ? <NewTokenNotice created={fresh} onDismiss={() => setFresh(null)} /> : null}
      {options.data ? (
        <CreateTokenForm
          title="Create a token"
          idPrefix="token"
          options={options.data}
          grantable={(scope) => options.data.scopes.some((s) => s.scope === scope && s.grantable)}
          onCreate={(values) =>
            create.mutateAsync(values).then(
              (created) => {
                setFresh(created);
                toast.success(`Created token ${tokenLabel(created)}.`, "Copy it now: it is shown only once.");
                void refresh();
              },
              (error: unknown) => {
                toast.error("The token was not created", errorMessage(error));
                throw error;
              },
            )
          }
        />
      ) : null}
      <Card
        title="Your tokens"
        actions={
          <div className="flex gap-2">
            <Select
              aria-label="Show tokens"
              value={status}
              onChange={(e) => {
                const v = e.target.value;
                setStatus(v === "active" || v === "expired" || v === "revoked" ? v : "");
              }}
            >
              <option value="">any status</option>
              <option value="active">active</option>
              <option value="expired">expired</option>
              <option value="revoked">revoked</option>
            </Select>
            <Select
              aria-label="Sort tokens"
              value={sort}
              onChange={(e) => {
                const v = e.target.value;
                setSort(v === "lastUsedAt" || v === "name" ? v : "createdAt");
              }}
            >
              <option value="createdAt">newest first</option>
              <option value="lastUsedAt">last used first</option>
              <option value="name">by name</option>
            </Select>
          </div>
        }
      >
        {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
        <TokenTable
          items={list.data?.items ?? []}
          onRotated={(created) => {
            setFresh(created);
            void refresh();
          }}
          onChanged={refresh}
        />
        {list.isSuccess && list.data.items.length === 0 ? (
          <p className="px-3 py-6 text-center text-sm text-slate-500">No tokens yet.</p>
        ) : null}
      </Card>
      <SignOutEverywhere />
    </div>
  );
}

type Token = inferRouterOutputs<AppRouter>["tokens"]["list"]["items"][number];

function graceText(days: string): string {
  return days === "0" ? "stops working at once" : `keeps working for ${days} day${days === "1" ? "" : "s"}, then stops`;
}

function TokenTable({
  items,
  onRotated,
  onChanged,
}: {
  items: Token[];
  onRotated: (created: CreatedToken) => void;
  onChanged: () => void;
}) {
  const trpc = useTRPC();
  // Each token's effective rate limit (RATE_LIMIT_API or an administrator's override).
  const limits = useQuery(trpc.rateLimits.tokens.queryOptions({}));
  const limitOf = (id: string) => limits.data?.items.find((l) => l.tokenId === id);
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions());
  const rotate = useMutation(trpc.tokens.rotate.mutationOptions());
  const [graceDays, setGraceDays] = useState("1");
  return (
    <>
      <div className="mb-3 flex items-center gap-2 text-sm text-slate-600">
        <label htmlFor="grace">When rotating, keep the old token working for</label>
        <Select id="grace" value={graceDays} onChange={(e) => setGraceDays(e.target.value)}>
          {["0", "1", "3", "7"].map((d) => (
            <option key={d} value={d}>
              {d === "0" ? "no time" : `${d} day${d === "1" ? "" : "s"}`}
            </option>
          ))}
        </Select>
      </div>
      <Table head={["Name", "Token", "Scopes", "Status", "Rate limit", "Created", "Expires", "Last used", ""]}>
        {items.map((t) => (
          <tr key={t.id} data-testid="token-row">
            <td className="px-3 py-2 font-medium">{t.name}</td>
            <td className="px-3 py-2 text-xs">
              <span className="block font-mono">{t.display}</span>
              <CopyText value={t.id} label={`the id of ${t.name}`} />
            </td>
            <td className="px-3 py-2">
              <div className="flex flex-wrap gap-1">
                {t.scopes.map((s) => (
                  <Badge key={s} tone={t.effectiveScopes.includes(s) ? "blue" : "slate"}>
                    {s}
                  </Badge>
                ))}
              </div>
            </td>
            <td className="px-3 py-2">
              <TokenStatusBadge token={t} />
            </td>
            <td className="px-3 py-2 text-xs" data-testid="token-limit">
              <TokenLimit limit={limitOf(t.id)} />
            </td>
            <td className="px-3 py-2 text-xs">{formatTime(t.createdAt)}</td>
            <td className="px-3 py-2 text-xs">{t.graceUntil ? formatTime(t.graceUntil) : formatTime(t.expiresAt)}</td>
            <td className="px-3 py-2 text-xs">
              {formatTime(t.lastUsedAt)}
              {t.lastUsedIp ? <span className="block font-mono text-slate-500">{t.lastUsedIp}</span> : null}
            </td>
            <td className="whitespace-nowrap px-3 py-2 text-right">
              {t.status === "active" ? (
                <>
                  <ConfirmDialog
                    trigger={
                      <Button variant="ghost" aria-label={`Rotate ${t.name}`}>
                        Rotate
                      </Button>
                    }
                    title={`Rotate token ${tokenLabel(t)}?`}
                    description={
                      <p>
                        A new token with the same name and scopes is made and shown once. The current one{" "}
                        {graceText(graceDays)}: update whatever uses it.
                      </p>
                    }
                    confirmLabel="Rotate token"
                    onConfirm={() =>
                      rotate.mutateAsync({ id: t.id, graceSeconds: Number(graceDays) * DAY }).then(
                        (created) => {
                          toast.success(
                            `Rotated ${tokenLabel(t)}.`,
                            `The new token is ${created.id}; the old one ${graceText(graceDays)}.`,
                          );
                          onRotated(created);
                        },
                        (error: unknown) => toast.error(`Could not rotate “${t.name}”`, errorMessage(error)),
                      )
                    }
                  />
                  <ConfirmDialog
                    trigger={
                      <Button variant="ghost" className="text-red-700" aria-label={`Revoke ${t.name}`}>
                        Revoke
                      </Button>
                    }
                    title={`Revoke token ${tokenLabel(t)}?`}
                    description={<p>Requests with it fail at once. This cannot be undone.</p>}
                    confirmLabel="Revoke token"
                    onConfirm={() =>
                      revoke.mutateAsync({ id: t.id }).then(
                        () => {
                          toast.success(`Revoked token ${tokenLabel(t)}.`, "Requests with it now fail.");
                          onChanged();
                        },
                        (error: unknown) => toast.error(`Could not revoke “${t.name}”`, errorMessage(error)),
                      )
                    }
                  />
                </>
              ) : null}
            </td>
          </tr>
        ))}
      </Table>
    </>
  );
}

function SignOutEverywhere() {
  const trpc = useTRPC();
  const router = useRouter();
  const revokeAll = useMutation(trpc.tokens.revokeAll.mutationOptions());
  return (
    <Card title="Sign out everywhere">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="max-w-2xl text-sm text-slate-600">
          Ends every session of yours, including this one, revokes every token you have and every app you authorised, at
          once. Use it if a device or a token may have been lost.
        </p>
        <ConfirmDialog
          trigger={<Button variant="danger">Sign out everywhere</Button>}
          title="Sign out everywhere?"
          description={
            <p>
              Every session of yours ends, this one included, every API token of yours is revoked and every app you
              authorised loses access, at once. You sign in again afterwards.
            </p>
          }
          confirmLabel="Sign out everywhere"
          onConfirm={() =>
            revokeAll.mutateAsync({}).then(
              () => {
                router.replace("/signin");
                router.refresh();
              },
              (error: unknown) => toast.error("Could not sign out everywhere", errorMessage(error)),
            )
          }
        />
      </div>
    </Card>
  );
}

function TokenLimit({
  limit,
}: {
  limit: { limit: number; windowSeconds: number; source: "default" | "user" | "token" } | undefined;
}) {
  if (!limit) return <>—</>;
  const window = limit.windowSeconds % 60 === 0 ? `${limit.windowSeconds / 60} min` : `${limit.windowSeconds} s`;
  return (
    <span title={limit.source === "default" ? "RATE_LIMIT_API" : `override for this ${limit.source}`}>
      {limit.limit} / {window}
      {limit.source === "default" ? null : <span className="block text-slate-500">override</span>}
    </span>
  );
}
