"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createColumnHelper, type SortingState, useTable } from "@tanstack/react-table";
import type { inferRouterOutputs } from "@trpc/server";
import { type ReactNode, useState } from "react";
import type { AppRouter } from "@/server/root";
import { type OverrideSort, setOverrideInput, unlockInput } from "@/server/routers/rate-limits/schemas";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, formatTime, Input, Select, Table, toast } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { CursorPager } from "../ui/cursor-pager";
import { DataTable, type ListFeatures, listFeatures, serverOrder } from "../ui/data-table";
import { FormField, FormMessage, optionalText, showRefusal, useSchemaForm } from "../ui/form";
import { useCursorPages } from "../use-cursor-pages";

const WINDOWS: Array<[string, number]> = [
  ["1 second", 1],
  ["10 seconds", 10],
  ["1 minute", 60],
  ["5 minutes", 300],
  ["15 minutes", 900],
  ["1 hour", 3600],
  ["1 day", 86_400],
];
const EXPIRIES: Array<[string, number | null]> = [
  ["never", null],
  ["1 hour", 3600],
  ["1 day", 86_400],
  ["7 days", 7 * 86_400],
  ["30 days", 30 * 86_400],
];

/** "600 / 1m" for a quota and its window in seconds. */
function quota(limit: number, windowSeconds: number): string {
  const unit =
    windowSeconds % 86_400 === 0
      ? `${windowSeconds / 86_400}d`
      : windowSeconds % 3600 === 0
        ? `${windowSeconds / 3600}h`
        : windowSeconds % 60 === 0
          ? `${windowSeconds / 60}m`
          : `${windowSeconds}s`;
  return `${limit} / ${unit}`;
}

function unlockText(what: string) {
  return (
    <p>
      Sign-in attempts for {what} are allowed again at once. If someone was guessing its password, they can go on: clear
      a lockout only when you know who was locked out.
    </p>
  );
}

/** The "Rate limits" page: status, policies, overrides, who is limited now, lockouts. */
export function RateLimitsManager() {
  return (
    <div className="space-y-6">
      <StatusAndPolicies />
      <Activity />
      <Overrides />
    </div>
  );
}

function StatusAndPolicies() {
  const trpc = useTRPC();
  const overview = useQuery({ ...trpc.admin.rateLimits.overview.queryOptions(), refetchInterval: 15_000 });
  const data = overview.data;
  return (
    <Card title="Policies">
      {overview.error ? <Alert>{errorMessage(overview.error)}</Alert> : null}
      {data ? (
        <div className="space-y-4">
          <p className="text-sm text-slate-700" data-testid="store-status">
            Store: <span className="font-medium">{data.store.kind}</span>{" "}
            {data.store.ok ? (
              <Badge tone="green">
                answering{data.store.latencyMs !== null ? ` in ${data.store.latencyMs} ms` : ""}
              </Badge>
            ) : (
              <Badge tone="red">not answering</Badge>
            )}{" "}
            · timeout {data.timeoutMs} ms · {data.metrics.rejected} refused of {data.metrics.checks} checked since start
            · store failures: {data.metrics.storeFailures.open} let through, {data.metrics.storeFailures.closed} refused
          </p>
          {data.metrics.storeFailures.open > 0 ? (
            <Alert kind="warning">
              Calls were let through without limits because the store did not answer (last at{" "}
              {formatTime(data.metrics.lastStoreFailureAt)}).
            </Alert>
          ) : null}
          <Table head={["Policy", "Limit", "Per", "If the store is down", "Set by", "What it limits"]}>
            {data.policies.map((p) => (
              <tr key={p.name} data-testid="policy-row">
                <td className="px-3 py-2 font-mono text-xs">{p.name}</td>
                <td className="px-3 py-2 tabular-nums">{quota(p.limit, p.windowSeconds)}</td>
                <td className="px-3 py-2">{p.per}</td>
                <td className="px-3 py-2">
                  {p.onStoreFailure === "open" ? <Badge>allow</Badge> : <Badge tone="amber">refuse (503)</Badge>}
                </td>
                <td className="px-3 py-2 font-mono text-xs">{p.env}</td>
                <td className="px-3 py-2 text-slate-600">{p.description}</td>
              </tr>
            ))}
          </Table>
          <p className="text-xs text-slate-500">
            Costs: {data.procedures.map((p) => `${p.path} ${p.cost}${p.sensitive ? " (+ sensitive)" : ""}`).join(" · ")}
            . Every other call costs 1. Lockouts double with each further lock within{" "}
            {data.lockout.memorySeconds / 3600} h, up to {data.lockout.maxLockSeconds / 3600} h.
          </p>
        </div>
      ) : null}
    </Card>
  );
}

function Activity() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const activity = useQuery({ ...trpc.admin.rateLimits.activity.queryOptions(), refetchInterval: 10_000 });
  const unlock = useMutation(
    trpc.admin.rateLimits.unlock.mutationOptions({
      onSuccess: (r, input) => {
        const who = "email" in input ? input.email : r.subject;
        if (r.cleared) toast.success(`Cleared the lockout of ${who}.`, "Sign-in attempts are allowed again.");
        else toast.info(`${who} was not locked out.`);
        void queryClient.invalidateQueries({ queryKey: trpc.admin.rateLimits.activity.queryKey() });
      },
      onError: (error) => toast.error("The lockout was not cleared", errorMessage(error)),
    }),
  );
  const [pendingEmail, setPendingEmail] = useState<string | null>(null);
  // admin.rateLimits.unlock's own schema: the address is checked before the confirmation asks.
  const unlockForm = useSchemaForm(unlockInput, { defaultValues: { email: "" } });

  const data = activity.data;
  return (
    <>
      <Card title="Locked out of sign-in">
        {activity.error ? <Alert>{errorMessage(activity.error)}</Alert> : null}
        <Table
          head={["Account or IP", "Locked until", "Lock", ""]}
          empty={
            data && data.lockouts.length === 0 ? (
              <p className="px-3 py-6 text-center text-sm text-slate-500">Nobody is locked out.</p>
            ) : null
          }
        >
          {data?.lockouts.map((l) => (
            <tr key={l.subject} data-testid="lockout-row">
              <td className="px-3 py-2">
                <Badge tone={l.kind === "ip" ? "slate" : "blue"}>{l.kind}</Badge>{" "}
                <span className="ml-1">{l.label}</span>
              </td>
              <td className="px-3 py-2 text-slate-600">{formatTime(l.lockedUntil)}</td>
              <td className="px-3 py-2 tabular-nums">{l.level === 1 ? "first" : `#${l.level}`}</td>
              <td className="px-3 py-2 text-right">
                <ConfirmDialog
                  trigger={
                    <Button
                      variant="secondary"
                      aria-label={`Clear the lockout of ${l.label}`}
                      disabled={unlock.isPending}
                    >
                      Clear lockout
                    </Button>
                  }
                  tone="primary"
                  title={`Clear the lockout of ${l.label}?`}
                  description={unlockText(l.kind === "ip" ? "this address" : "this account")}
                  confirmLabel="Clear lockout"
                  onConfirm={() => unlock.mutateAsync({ subject: l.subject })}
                />
              </td>
            </tr>
          ))}
        </Table>
        <form
          onSubmit={unlockForm.handleSubmit(({ email }) => setPendingEmail(email ?? null))}
          className="mt-4 flex items-start gap-3"
          aria-label="Clear a lockout by email"
          noValidate
        >
          <FormField form={unlockForm} name="email" label="Clear the lockout of an account" id="unlock-email">
            {(control) => <Input {...control} type="email" placeholder="email address" className="w-72" />}
          </FormField>
          <Button type="submit" variant="secondary" className="mt-6" disabled={unlock.isPending}>
            Clear
          </Button>
        </form>
        <FormMessage form={unlockForm} />
        <ConfirmDialog
          open={pendingEmail !== null}
          onOpenChange={(open) => {
            if (!open) setPendingEmail(null);
          }}
          tone="primary"
          title={`Clear the lockout of ${pendingEmail || "this account"}?`}
          description={unlockText("this account")}
          confirmLabel="Clear lockout"
          onConfirm={() => {
            const email = pendingEmail;
            if (!email) return;
            return unlock.mutateAsync({ email }).then(
              () => unlockForm.reset({ email: "" }),
              (error: unknown) => showRefusal(unlockForm, error, { fields: ["email"] }),
            );
          }}
        />
      </Card>

      <Card title="Limited in the last hour">
        <Table
          head={["Who", "Refused (429)"]}
          empty={
            data && data.top.length === 0 ? (
              <p className="px-3 py-6 text-center text-sm text-slate-500">Nobody was rate limited in the last hour.</p>
            ) : null
          }
        >
          {data?.top.map((t) => (
            <tr key={t.subject} data-testid="limited-row">
              <td className="px-3 py-2">
                <Badge tone={t.kind === "ip" ? "slate" : "blue"}>{t.kind}</Badge>{" "}
                <span className="ml-1">{t.label}</span>
              </td>
              <td className="px-3 py-2 tabular-nums">{t.count}</td>
            </tr>
          ))}
        </Table>
      </Card>
    </>
  );
}

type OverrideValues = {
  kind: "user" | "token";
  who: string;
  limit: string;
  windowSeconds: string;
  expiresInSeconds: string;
  note: string;
};
const NO_OVERRIDE: OverrideValues = {
  kind: "user",
  who: "",
  limit: "600",
  windowSeconds: "60",
  expiresInSeconds: "",
  note: "",
};
type Override = inferRouterOutputs<AppRouter>["admin"]["rateLimits"]["overrides"]["items"][number];
const NO_OVERRIDES: Override[] = [];
const columns = createColumnHelper<ListFeatures, Override>();

/** The overrides' columns; the ids of the sortable ones are admin.rateLimits.overrides' `sort` names. */
function overrideColumns(remove: (o: Override) => ReactNode) {
  return columns.columns([
    columns.accessor((o) => o.subject.label, {
      id: "subject",
      header: "For",
      cell: ({ row: { original: o } }) => (
        <>
          <Badge tone="blue">{o.subject.type}</Badge> <span className="ml-1">{o.subject.label}</span>
        </>
      ),
    }),
    columns.display({
      id: "limit",
      header: "Limit",
      cell: ({ row: { original: o } }) => <span className="tabular-nums">{quota(o.limit, o.windowSeconds)}</span>,
    }),
    columns.accessor("expiresAt", {
      header: "Ends",
      cell: ({ row: { original: o } }) =>
        o.expired ? <Badge tone="slate">expired</Badge> : o.expiresAt ? formatTime(o.expiresAt) : "never",
    }),
    columns.accessor("note", {
      header: "Note",
      enableSorting: false,
      cell: (c) => <span className="block max-w-xs truncate text-slate-600">{c.getValue() ?? ""}</span>,
    }),
    columns.accessor("setBy", {
      header: "Set by",
      enableSorting: false,
      cell: (c) => <span className="font-mono text-xs">{c.getValue()}</span>,
    }),
    columns.accessor("createdAt", {
      header: "Set",
      sortDescFirst: true,
      cell: (c) => <span className="text-slate-600">{formatTime(c.getValue())}</span>,
    }),
    columns.display({
      id: "remove",
      header: "",
      cell: ({ row }) => <div className="text-right">{remove(row.original)}</div>,
    }),
  ]);
}

/** setOverrideInput names the account or token inside `target`; the form has one "who" field for both. */
const OVERRIDE_ALIASES = { "target.email": "who", "target.id": "who", target: "who" } as const;

/** admin.rateLimits.setOverride's own schema (setOverrideInput); a refusal shows under the field it names. */
function Overrides() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Sorted and paged on the server (admin.rateLimits.overrides: sort, direction, cursor): there is one
  // override per user or token, so more than a page of them, and the table reorders nothing itself.
  const [sorting, setSorting] = useState<SortingState>([{ id: "createdAt", desc: true }]);
  const pages = useCursorPages<string>();
  const order = serverOrder(sorting) as { sort?: OverrideSort; direction?: "asc" | "desc" };
  const list = useQuery({
    ...trpc.admin.rateLimits.overrides.queryOptions({ ...order, cursor: pages.cursor }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.rateLimits.overrides.pathKey() });
  const set = useMutation(trpc.admin.rateLimits.setOverride.mutationOptions());
  const remove = useMutation(trpc.admin.rateLimits.removeOverride.mutationOptions());
  const form = useSchemaForm(setOverrideInput, {
    defaultValues: NO_OVERRIDE,
    toInput: (v: OverrideValues) => ({
      target: v.kind === "user" ? { type: "user", email: v.who } : { type: "token", id: v.who.trim() },
      limit: v.limit.trim() === "" ? undefined : Number(v.limit),
      windowSeconds: Number(v.windowSeconds),
      expiresInSeconds: v.expiresInSeconds === "" ? null : Number(v.expiresInSeconds),
      note: optionalText(v.note),
    }),
    aliases: OVERRIDE_ALIASES,
  });
  const kind = form.watch("kind");
  const onSubmit = form.handleSubmit(async (input) => {
    try {
      const o = await set.mutateAsync(input);
      toast.success(`${o.subject.label} may now make ${quota(o.limit, o.windowSeconds)}.`);
      form.reset(NO_OVERRIDE);
      void refresh();
    } catch (error) {
      toast.error("The override was not set", errorMessage(error));
      showRefusal(form, error, {
        fields: ["who", "limit", "windowSeconds", "expiresInSeconds", "note"],
        aliases: OVERRIDE_ALIASES,
        reasons: { user_not_found: "who", token_not_found: "who" },
      });
    }
  });

  const overrides = list.data?.items ?? NO_OVERRIDES;
  const table = useTable({
    features: listFeatures,
    columns: overrideColumns((o) => (
      <ConfirmDialog
        trigger={
          <Button
            variant="ghost"
            className="text-red-700"
            aria-label={`Remove the override for ${o.subject.label}`}
            disabled={remove.isPending}
          >
            Remove
          </Button>
        }
        title={`Remove the override for ${o.subject.label}?`}
        description={
          <p>
            Its limit of {quota(o.limit, o.windowSeconds)} ends at once; RATE_LIMIT_API (or the user&apos;s own
            override, for a token) applies from the next request.
          </p>
        }
        confirmLabel="Remove override"
        onConfirm={() =>
          remove.mutateAsync({ id: o.id }).then(
            () => {
              toast.success(`Removed the override for ${o.subject.label}.`);
              void refresh();
            },
            (error: unknown) => toast.error("The override was not removed", errorMessage(error)),
          )
        }
      />
    )),
    data: overrides,
    getRowId: (o) => o.id,
    manualSorting: true,
    enableMultiSort: false,
    enableSortingRemoval: false,
    state: { sorting },
    onSortingChange: (next) => {
      setSorting(next);
      pages.reset();
    },
  });
  return (
    <Card title="Overrides of the API limit">
      <p className="mb-4 text-sm text-slate-600">
        A user&apos;s override applies to their sessions and to each of their tokens; a token&apos;s own override wins.
        Every change is in the audit log.
      </p>
      <form
        onSubmit={onSubmit}
        className="grid gap-3 md:grid-cols-6 md:items-start"
        aria-label="Set an override"
        noValidate
      >
        <FormField form={form} name="kind" label="For" id="override-kind">
          {(control) => (
            <Select {...control} className="w-full">
              <option value="user">user (email)</option>
              <option value="token">API token (id)</option>
            </Select>
          )}
        </FormField>
        <FormField form={form} name="who" label={kind === "user" ? "Email" : "Token id"} id="override-who">
          {(control) => (
            <Input {...control} placeholder={kind === "user" ? "name@example.com" : "tok_…"} autoComplete="off" />
          )}
        </FormField>
        <FormField form={form} name="limit" label="Limit" id="override-limit">
          {(control) => <Input {...control} type="number" inputMode="numeric" />}
        </FormField>
        <FormField form={form} name="windowSeconds" label="Per" id="override-window">
          {(control) => (
            <Select {...control} className="w-full">
              {WINDOWS.map(([label, seconds]) => (
                <option key={seconds} value={String(seconds)}>
                  {label}
                </option>
              ))}
            </Select>
          )}
        </FormField>
        <FormField form={form} name="expiresInSeconds" label="Ends after" id="override-expires">
          {(control) => (
            <Select {...control} className="w-full">
              {EXPIRIES.map(([label, seconds]) => (
                <option key={label} value={seconds === null ? "" : String(seconds)}>
                  {label}
                </option>
              ))}
            </Select>
          )}
        </FormField>
        <Button type="submit" className="md:mt-6" disabled={form.formState.isSubmitting}>
          Set override
        </Button>
        <div className="md:col-span-6">
          <FormField form={form} name="note" label="Note (optional)" id="override-note">
            {(control) => <Input {...control} placeholder="why, for the next administrator" />}
          </FormField>
        </div>
      </form>
      <div className="mt-3 space-y-2">
        <FormMessage form={form} />
        {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
      </div>
      <div className="mt-4">
        <DataTable
          table={table}
          label="Overrides"
          rowTestId="override-row"
          rowClassName={(o) => (o.expired ? "text-slate-400" : undefined)}
          empty={
            list.isSuccess && overrides.length === 0 && !pages.hasPrevious ? (
              <p className="px-3 py-6 text-center text-sm text-slate-500">
                No overrides: RATE_LIMIT_API applies to everyone.
              </p>
            ) : null
          }
        />
        <CursorPager pages={pages} nextCursor={list.data?.nextCursor} />
      </div>
    </Card>
  );
}
