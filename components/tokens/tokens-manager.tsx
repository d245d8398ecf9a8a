"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import type { AppRouter } from "@/server/root";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, Field, formatTime, Input, Select, Table } from "../ui";
import { TokenStatusBadge } from "./token-status";

type Options = inferRouterOutputs<AppRouter>["tokens"]["options"];
type Created = inferRouterOutputs<AppRouter>["tokens"]["create"];

const DAY = 86_400;
const EXPIRY_CHOICES: Array<[string, number | null]> = [
  ["7 days", 7 * DAY],
  ["30 days", 30 * DAY],
  ["90 days", 90 * DAY],
  ["1 year", 365 * DAY],
  ["Never", null],
];

/** A user's own API tokens: create (shown once), list, rotate, revoke, and sign out everywhere. */
export function TokensManager() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [fresh, setFresh] = useState<Created | null>(null);
  const options = useQuery(trpc.tokens.options.queryOptions({}));
  const list = useQuery(trpc.tokens.list.queryOptions({ limit: 100 }));
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
          options={options.data}
          onCreated={(created) => {
            setFresh(created);
            void refresh();
          }}
        />
      ) : null}
      <Card title="Your tokens">
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

function CreateTokenForm({ options, onCreated }: { options: Options; onCreated: (created: Created) => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.tokens.create.mutationOptions({ onSuccess: onCreated }));
  const choices = EXPIRY_CHOICES.filter(([, seconds]) =>
    seconds === null ? options.allowNoExpiry : seconds <= options.maxExpiresInSeconds,
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const expiry = String(form.get("expiry") ?? "");
    create.mutate(
      {
        name: String(form.get("name") ?? ""),
        scopes: form.getAll("scopes").map(String) as Created["scopes"],
        expiresInSeconds: expiry === "never" ? null : Number(expiry),
      },
      { onSuccess: () => formEl.reset() },
    );
  }

  return (
    <Card title="Create a token">
      <form onSubmit={onSubmit} className="space-y-4" noValidate aria-label="Create a token">
        {create.error ? <Alert>{errorMessage(create.error)}</Alert> : null}
        <div className="grid gap-4 md:grid-cols-2">
          <Field label="Name" htmlFor="token-name" hint="What will use it, e.g. “nightly export”">
            <Input id="token-name" name="name" required maxLength={100} />
          </Field>
          <Field label="Expires after" htmlFor="token-expiry">
            <Select
              id="token-expiry"
              name="expiry"
              defaultValue={String(options.defaultExpiresInSeconds)}
              className="w-full"
            >
              {choices.map(([label, seconds]) => (
                <option key={label} value={seconds === null ? "never" : String(seconds)}>
                  {label}
                </option>
              ))}
              {choices.some(([, s]) => s === options.defaultExpiresInSeconds) ? null : (
                <option value={String(options.defaultExpiresInSeconds)}>
                  {Math.round(options.defaultExpiresInSeconds / DAY)} days (default)
                </option>
              )}
            </Select>
          </Field>
        </div>
        <fieldset>
          <legend className="text-sm font-medium text-slate-700">Scopes</legend>
          <div className="mt-2 grid gap-2 md:grid-cols-2">
            {options.scopes.map((s) => (
              <label key={s.scope} className={`flex items-start gap-2 text-sm ${s.grantable ? "" : "opacity-50"}`}>
                <input type="checkbox" name="scopes" value={s.scope} disabled={!s.grantable} className="mt-1" />
                <span>
                  <code className="font-medium">{s.scope}</code>
                  <span className="block text-slate-600">{s.description}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        <Button type="submit" disabled={create.isPending}>
          Create token
        </Button>
      </form>
    </Card>
  );
}

function NewTokenNotice({ created, onDismiss }: { created: Created; onDismiss: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <Card title={`New token “${created.name}”`}>
      <div className="space-y-3">
        <Alert kind="warning">
          Copy this token now. It is shown only this once: Gatehouse stores only a hash and cannot show it again.
        </Alert>
        <div className="flex gap-2">
          <Input readOnly value={created.token} aria-label="New token" data-testid="new-token" className="font-mono" />
          <Button
            variant="secondary"
            onClick={async () => {
              await navigator.clipboard.writeText(created.token);
              setCopied(true);
            }}
          >
            {copied ? "Copied" : "Copy"}
          </Button>
          <Button variant="ghost" onClick={onDismiss}>
            Done
          </Button>
        </div>
        <p className="text-xs text-slate-500">
          Scopes: {created.scopes.join(", ")} · expires {created.expiresAt ? formatTime(created.expiresAt) : "never"}
        </p>
      </div>
    </Card>
  );
}

type Token = inferRouterOutputs<AppRouter>["tokens"]["list"]["items"][number];

function TokenTable({
  items,
  onRotated,
  onChanged,
}: {
  items: Token[];
  onRotated: (created: Created) => void;
  onChanged: () => void;
}) {
  const trpc = useTRPC();
  // Each token's effective rate limit (RATE_LIMIT_API or an administrator's override).
  const limits = useQuery(trpc.rateLimits.tokens.queryOptions({}));
  const limitOf = (id: string) => limits.data?.items.find((l) => l.tokenId === id);
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSuccess: onChanged }));
  const rotate = useMutation(trpc.tokens.rotate.mutationOptions({ onSuccess: onRotated }));
  const [graceDays, setGraceDays] = useState("1");
  const error = revoke.error ?? rotate.error;
  return (
    <>
      {error ? <Alert>{errorMessage(error)}</Alert> : null}
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
            <td className="px-3 py-2 font-mono text-xs">{t.display}</td>
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
                  <Button
                    variant="ghost"
                    aria-label={`Rotate ${t.name}`}
                    onClick={() => rotate.mutate({ id: t.id, graceSeconds: Number(graceDays) * DAY })}
                  >
                    Rotate
                  </Button>
                  <Button
                    variant="ghost"
                    className="text-red-700"
                    aria-label={`Revoke ${t.name}`}
                    onClick={() => revoke.mutate({ id: t.id })}
                  >
                    Revoke
                  </Button>
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
  const revokeAll = useMutation(
    trpc.tokens.revokeAll.mutationOptions({
      onSuccess: () => {
        router.replace("/signin");
        router.refresh();
      },
    }),
  );
  return (
    <Card title="Sign out everywhere">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="max-w-2xl text-sm text-slate-600">
          Ends every session of yours, including this one, revokes every token you have and every app you authorised, at
          once. Use it if a device or a token may have been lost.
        </p>
        <Button
          variant="danger"
          disabled={revokeAll.isPending}
          onClick={() => {
            if (window.confirm("End all your sessions and revoke all your tokens and authorised apps?"))
              revokeAll.mutate({});
          }}
        >
          Sign out everywhere
        </Button>
      </div>
      {revokeAll.error ? <Alert>{errorMessage(revokeAll.error)}</Alert> : null}
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
