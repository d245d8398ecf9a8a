"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterInputs } from "@trpc/server";
import { type FormEvent, useState } from "react";
import type { AppRouter } from "@/server/root";
import { addCorsOriginInput } from "@/server/routers/admin/cors.schemas";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, Field, formatTime, Input, Select, Table, toast } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { FormField, FormMessage, optionalText, showRefusal, useSchemaForm } from "../ui/form";
import { Party } from "./party";

type TestInput = inferRouterInputs<AppRouter>["admin"]["cors"]["test"];
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** The "CORS origins" page: the allow-list, and a dry-run tester that asks the live decision code. */
export function CorsManager({ appOrigin }: { appOrigin: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.admin.cors.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.cors.pathKey() });
  const remove = useMutation(trpc.admin.cors.remove.mutationOptions());
  const setCredentials = useMutation(trpc.admin.cors.setCredentials.mutationOptions());
  const failed = (what: string) => (error: unknown) => toast.error(what, errorMessage(error));
  const origins = list.data?.items ?? [];

  return (
    <div className="space-y-6">
      <AddOriginForm
        onAdded={(origin) => {
          toast.success(`Added ${origin}.`, "Its pages may call the API from now on.");
          void refresh();
        }}
      />
      <Card title={`Allowed origins${list.data ? ` (${origins.length})` : ""}`}>
        {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
        <Table
          head={["Origin", "Credentials", "Note", "Added by", "Added", ""]}
          empty={
            list.isSuccess && origins.length === 0 ? (
              <p className="px-3 py-6 text-center text-sm text-slate-500">
                No origins yet: only this application&apos;s own pages can call the API from a browser.
              </p>
            ) : null
          }
        >
          {origins.map((o) => (
            <tr key={o.id} data-testid="cors-row">
              <td className="px-3 py-2 font-mono text-xs">{o.origin}</td>
              <td className="px-3 py-2">
                {o.allowCredentials ? <Badge tone="amber">with credentials</Badge> : <Badge>no credentials</Badge>}
              </td>
              <td className="max-w-xs truncate px-3 py-2 text-slate-600">{o.note ?? ""}</td>
              <td className="px-3 py-2">{o.addedBy ? <Party party={o.addedBy} showKind={false} /> : "—"}</td>
              <td className="px-3 py-2 text-slate-600">{formatTime(o.createdAt)}</td>
              <td className="whitespace-nowrap px-3 py-2 text-right">
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
                        Pages on {o.origin} may then send the signed-in person&apos;s cookies to the API and make
                        changes on their behalf. Only for an origin you control.
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
                      Its pages lose API access at once: browsers refuse the answers to their next calls. Calls from
                      servers and scripts are not affected.
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
              </td>
            </tr>
          ))}
        </Table>
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

function OriginTester({ appOrigin }: { appOrigin: string }) {
  const trpc = useTRPC();
  const [asked, setAsked] = useState<TestInput | null>(null);
  const ownOrigin = asked?.origin === appOrigin;
  const result = useQuery({
    ...trpc.admin.cors.test.queryOptions(asked ?? { origin: "" }),
    enabled: asked !== null && !ownOrigin,
  });

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const method = String(form.get("method") ?? "GET");
    setAsked({
      origin: String(form.get("origin") ?? ""),
      method: METHODS.find((m) => m === method) ?? "GET",
      door: form.get("door") === "trpc" ? "trpc" : "rest",
    });
  }

  return (
    <Card title="Test an origin">
      <form onSubmit={onSubmit} className="grid gap-3 md:grid-cols-[1fr_auto_auto_auto] md:items-end" noValidate>
        <Field label="Origin to test" htmlFor="cors-test-origin" hint="Exactly as a browser would send it.">
          <Input
            id="cors-test-origin"
            name="origin"
            placeholder="https://app.example.com"
            spellCheck={false}
            maxLength={2048}
          />
        </Field>
        <Field label="Method" htmlFor="cors-test-method">
          <Select id="cors-test-method" name="method" defaultValue="GET">
            {METHODS.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Endpoint" htmlFor="cors-test-door">
          <Select id="cors-test-door" name="door" defaultValue="rest">
            <option value="rest">REST /api/v1</option>
            <option value="trpc">tRPC /api/trpc</option>
          </Select>
        </Field>
        <Button type="submit" variant="secondary">
          Test
        </Button>
      </form>
      <div className="mt-4 space-y-3" data-testid="cors-test-result">
        {ownOrigin ? (
          <Alert kind="info">This is the application&apos;s own origin: same-origin calls need no CORS headers.</Alert>
        ) : null}
        {result.error ? <Alert>{errorMessage(result.error)}</Alert> : null}
        {result.data && !ownOrigin ? (
          <>
            <div className="flex items-center gap-2">
              {result.data.allowed ? <Badge tone="green">allowed</Badge> : <Badge tone="red">blocked</Badge>}
              <span className="text-sm">{result.data.reason}</span>
            </div>
            <HeaderList title="Preflight (OPTIONS) answer" headers={result.data.preflight} />
            <HeaderList title="Response headers" headers={result.data.response} />
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
