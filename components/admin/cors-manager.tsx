"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createColumnHelper, type SortingState, useTable } from "@tanstack/react-table";
import type { inferRouterOutputs } from "@trpc/server";
import { type ReactNode, useState } from "react";
import type { z } from "zod";
import type { AppRouter } from "@/server/root";
import {
  addCorsOriginInput,
  CORS_TEST_METHODS,
  type CorsSort,
  testCorsOriginInput,
} from "@/server/routers/admin/cors.schemas";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, formatTime, Input, Select, toast } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { CursorPager } from "../ui/cursor-pager";
import { DataTable, type ListFeatures, listFeatures, serverOrder } from "../ui/data-table";
import { FormField, FormMessage, optionalText, showRefusal, useSchemaForm } from "../ui/form";
import { useCursorPages } from "../use-cursor-pages";
import { Party } from "./party";

type Listed = inferRouterOutputs<AppRouter>["admin"]["cors"]["list"]["items"][number];
type TestAnswer = inferRouterOutputs<AppRouter>["admin"]["cors"]["test"];
type TestInput = z.output<typeof testCorsOriginInput>;

const columns = createColumnHelper<ListFeatures, Listed>();
const NO_ORIGINS: Listed[] = [];

/** The allow-list's columns; the ids of the sortable ones are admin.cors.list's `sort` names. */
function originColumns(actions: (o: Listed) => ReactNode) {
  return columns.columns([
    columns.accessor("origin", {
      header: "Origin",
      cell: (c) => <span className="font-mono text-xs">{c.getValue()}</span>,
    }),
    columns.accessor("allowCredentials", {
      header: "Credentials",
      enableSorting: false,
      cell: (c) => (c.getValue() ? <Badge tone="amber">with credentials</Badge> : <Badge>no credentials</Badge>),
    }),
    columns.accessor("note", {
      header: "Note",
      enableSorting: false,
      cell: (c) => <span className="block max-w-xs truncate text-slate-600">{c.getValue() ?? ""}</span>,
    }),
    columns.accessor("addedBy", {
      header: "Added by",
      enableSorting: false,
      cell: (c) => {
        const party = c.getValue();
        return party ? <Party party={party} showKind={false} /> : "—";
      },
    }),
    columns.accessor("createdAt", {
      header: "Added",
      sortDescFirst: true,
      cell: (c) => <span className="text-slate-600">{formatTime(c.getValue())}</span>,
    }),
    columns.display({
      id: "actions",
      header: "",
      cell: ({ row }) => <div className="whitespace-nowrap text-right">{actions(row.original)}</div>,
    }),
  ]);
}

/** The "CORS origins" page: the allow-list, and a dry-run tester that asks the live decision code. */
export function CorsManager({ appOrigin }: { appOrigin: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Sorted and paged on the server (admin.cors.list: sort, direction, cursor): the list holds up to
  // MAX_CORS_ORIGINS, more than one page, so the table reorders nothing itself.
  const [sorting, setSorting] = useState<SortingState>([{ id: "origin", desc: false }]);
  const pages = useCursorPages<string>();
  const order = serverOrder(sorting) as { sort?: CorsSort; direction?: "asc" | "desc" };
  const list = useQuery({
    ...trpc.admin.cors.list.queryOptions({ ...order, cursor: pages.cursor }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.cors.pathKey() });
  const remove = useMutation(trpc.admin.cors.remove.mutationOptions());
  const setCredentials = useMutation(trpc.admin.cors.setCredentials.mutationOptions());
  const failed = (what: string) => (error: unknown) => toast.error(what, errorMessage(error));
  const origins = list.data?.items ?? NO_ORIGINS;

  const table = useTable({
    features: listFeatures,
    columns: originColumns((o) => (
      <>
        {o.origin === "*" ? null : o.allowCredentials ? (
          <Button
            variant="ghost"
            aria-label={`Disallow credentials for ${o.origin}`}
            disabled={setCredentials.isPending}
            onClick={() =>
              setCredentials.mutateAsync({ id: o.id, allowCredentials: false }).then(
                (r) => {
                  toast.success(`${r.origin} no longer gets credentials.`);
                  void refresh();
                },
                failed(`Could not change ${o.origin}`),
              )
            }
          >
            Disallow credentials
          </Button>
        ) : (
          <ConfirmDialog
            trigger={
              <Button variant="ghost" aria-label={`Allow credentials for ${o.origin}`}>
                Allow credentials
              </Button>
            }
            tone="primary"
            title={`Allow credentials for ${o.origin}?`}
            description={
              <p>
                Pages on {o.origin} may then send the signed-in person&apos;s cookies to the API and make changes on
                their behalf. Only for an origin you control.
              </p>
            }
            confirmLabel="Allow credentials"
            onConfirm={() =>
              setCredentials.mutateAsync({ id: o.id, allowCredentials: true }).then(
                (r) => {
                  toast.success(`${r.origin} may now send credentials.`);
                  void refresh();
                },
                failed(`Could not change ${o.origin}`),
              )
            }
          />
        )}
        <ConfirmDialog
          trigger={
            <Button variant="ghost" className="text-red-700" aria-label={`Remove ${o.origin}`}>
              Remove
            </Button>
          }
          title={`Remove ${o.origin}?`}
          description={
            <p>
              Its pages lose API access at once: browsers refuse the answers to their next calls. Calls from servers and
              scripts are not affected.
            </p>
          }
          confirmLabel="Remove origin"
          onConfirm={() =>
            remove.mutateAsync({ id: o.id }).then(
              (r) => {
                toast.success(`Removed ${r.origin}.`, "Its pages can no longer call the API.");
                void refresh();
              },
              failed(`Could not remove ${o.origin}`),
            )
          }
        />
      </>
    )),
    data: origins,
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
    <div className="space-y-6">
      <AddOriginForm
        onAdded={(origin) => {
          toast.success(`Added ${origin}.`, "Its pages may call the API from now on.");
          void refresh();
        }}
      />
      <Card title="Allowed origins">
        {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
        <DataTable
          table={table}
          label="Allowed origins"
          rowTestId="cors-row"
          empty={
            list.isSuccess && origins.length === 0 && !pages.hasPrevious ? (
              <p className="px-3 py-6 text-center text-sm text-slate-500">
                No origins yet: only this application&apos;s own pages can call the API from a browser.
              </p>
            ) : null
          }
        />
        <CursorPager pages={pages} nextCursor={list.data?.nextCursor} />
      </Card>
      <OriginTester appOrigin={appOrigin} />
    </div>
  );
}

type OriginValues = { origin: string; note: string; allowCredentials: boolean; confirmWildcard: boolean };
const NO_ORIGIN: OriginValues = { origin: "", note: "", allowCredentials: false, confirmWildcard: false };

/**
 * admin.cors.add's own schema. The service says why an origin is refused (a path, a near miss, a
 * duplicate, an unconfirmed *): that shows under the field it concerns, with what was typed kept.
 */
function AddOriginForm({ onAdded }: { onAdded: (origin: string) => void }) {
  const trpc = useTRPC();
  const add = useMutation(trpc.admin.cors.add.mutationOptions());
  const form = useSchemaForm(addCorsOriginInput, {
    defaultValues: NO_ORIGIN,
    toInput: (v: OriginValues) => {
      const wildcard = v.origin.trim() === "*";
      return {
        ...v,
        note: optionalText(v.note),
        allowCredentials: !wildcard && v.allowCredentials,
        confirmWildcard: wildcard && v.confirmWildcard,
      };
    },
  });
  const wildcard = form.watch("origin").trim() === "*";
  const onSubmit = form.handleSubmit(async (input) => {
    try {
      const entry = await add.mutateAsync(input);
      form.reset(NO_ORIGIN);
      onAdded(entry.origin);
    } catch (error) {
      toast.error("The origin was not added", errorMessage(error));
      showRefusal(form, error, {
        fields: ["origin", "note", "allowCredentials", "confirmWildcard"],
        reasons: {
          invalid_origin: "origin",
          origin_exists: "origin",
          wildcard_unconfirmed: "confirmWildcard",
          wildcard_with_credentials: "allowCredentials",
        },
      });
    }
  });

  return (
    <Card title="Add an origin">
      <form onSubmit={onSubmit} className="space-y-3" noValidate aria-label="Add an origin">
        <FormMessage form={form} />
        <div className="grid gap-3 md:grid-cols-[1fr_1fr_auto] md:items-start">
          <FormField
            form={form}
            name="origin"
            label="Origin"
            id="cors-origin"
            hint="Scheme, host and optional port, e.g. https://app.example.com — no path, not even a trailing slash."
          >
            {(control) => (
              <Input {...control} placeholder="https://app.example.com" autoComplete="off" spellCheck={false} />
            )}
          </FormField>
          <FormField
            form={form}
            name="note"
            label="Note"
            id="cors-note"
            hint="Why it is allowed, for whoever reads this list next."
          >
            {(control) => <Input {...control} autoComplete="off" />}
          </FormField>
          <Button type="submit" className="md:mt-6" disabled={form.formState.isSubmitting}>
            Add origin
          </Button>
        </div>
        {wildcard ? (
          <FormField form={form} name="confirmWildcard" label="Confirm *" id="cors-confirm-wildcard">
            {(control) => (
              <span className="flex items-start gap-2 text-sm text-amber-900">
                <input type="checkbox" {...control} className="mt-1" />
                <span>
                  I understand that * lets <strong>every website</strong> read API answers to calls made with a token
                  (never with cookies: * cannot carry credentials).
                </span>
              </span>
            )}
          </FormField>
        ) : (
          <FormField form={form} name="allowCredentials" label="Allow credentials" id="cors-credentials">
            {(control) => (
              <span className="flex items-start gap-2 text-sm text-slate-700">
                <input type="checkbox" {...control} className="mt-1" />
                <span>
                  The browser may send the signed-in person&apos;s cookies from this origin, and its pages may make
                  changes on their behalf. Only for origins you control.
                </span>
              </span>
            )}
          </FormField>
        )}
      </form>
    </Card>
  );
}

type TesterValues = { origin: string; method: TestInput["method"]; door: TestInput["door"] };
const NOTHING_TESTED: TesterValues = { origin: "", method: "GET", door: "rest" };
const DOORS: Array<[TestInput["door"], string]> = [
  ["rest", "REST /api/v1"],
  ["trpc", "tRPC /api/trpc"],
  ["oauth", "OAuth /oauth"],
];

/**
 * admin.cors.test's own schema (testCorsOriginInput): what it refuses shows under its field, with what
 * was typed kept; the answer comes from the live decision code, except for this application's own origin.
 */
function OriginTester({ appOrigin }: { appOrigin: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [answer, setAnswer] = useState<{ own: true } | { own: false; result: TestAnswer } | null>(null);
  const form = useSchemaForm(testCorsOriginInput, { defaultValues: NOTHING_TESTED });
  const onSubmit = form.handleSubmit(async (input) => {
    if (input.origin === appOrigin) {
      setAnswer({ own: true });
      return;
    }
    try {
      // Asked afresh each time: the allow-list may have changed since the last test.
      const result = await queryClient.fetchQuery({ ...trpc.admin.cors.test.queryOptions(input), staleTime: 0 });
      setAnswer({ own: false, result });
    } catch (error) {
      setAnswer(null);
      showRefusal(form, error, { fields: ["origin", "method", "door"] });
    }
  });

  return (
    <Card title="Test an origin">
      <form
        onSubmit={onSubmit}
        className="grid gap-3 md:grid-cols-[1fr_auto_auto_auto] md:items-start"
        noValidate
        aria-label="Test an origin"
      >
        <FormField
          form={form}
          name="origin"
          label="Origin to test"
          id="cors-test-origin"
          hint="Exactly as a browser would send it."
        >
          {(control) => <Input {...control} placeholder="https://app.example.com" spellCheck={false} />}
        </FormField>
        <FormField form={form} name="method" label="Method" id="cors-test-method">
          {(control) => (
            <Select {...control}>
              {CORS_TEST_METHODS.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </Select>
          )}
        </FormField>
        <FormField form={form} name="door" label="Endpoint" id="cors-test-door">
          {(control) => (
            <Select {...control}>
              {DOORS.map(([door, label]) => (
                <option key={door} value={door}>
                  {label}
                </option>
              ))}
            </Select>
          )}
        </FormField>
        <Button type="submit" variant="secondary" className="md:mt-6" disabled={form.formState.isSubmitting}>
          Test
        </Button>
      </form>
      <div className="mt-4 space-y-3" data-testid="cors-test-result">
        <FormMessage form={form} />
        {answer?.own ? (
          <Alert kind="info">This is the application&apos;s own origin: same-origin calls need no CORS headers.</Alert>
        ) : null}
        {answer && !answer.own ? (
          <>
            <div className="flex items-center gap-2">
              {answer.result.allowed ? <Badge tone="green">allowed</Badge> : <Badge tone="red">blocked</Badge>}
              <span className="text-sm">{answer.result.reason}</span>
            </div>
            <HeaderList title="Preflight (OPTIONS) answer" headers={answer.result.preflight} />
            <HeaderList title="Response headers" headers={answer.result.response} />
          </>
        ) : null}
      </div>
    </Card>
  );
}

function HeaderList({ title, headers }: { title: string; headers: Record<string, string> }) {
  const entries = Object.entries(headers);
  return (
    <div>
      <h3 className="text-sm font-semibold">{title}</h3>
      {entries.length === 0 ? (
        <p className="text-sm text-slate-500">No Access-Control-* headers (only Vary: Origin).</p>
      ) : (
        <pre className="overflow-x-auto rounded bg-slate-50 p-2 font-mono text-xs">
          {entries.map(([name, value]) => `${name}: ${value}`).join("\n")}
        </pre>
      )}
    </div>
  );
}
