"use client";

import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import type { Scope } from "@/server/auth/scopes";
import type { AppRouter } from "@/server/root";
import { createTokenInput } from "@/server/routers/tokens/schemas";
import { Alert, Button, Card, formatTime, Input, Select } from "../ui";
import { FormField, FormFieldset, FormMessage, showRefusal, useSchemaForm } from "../ui/form";

/** The parts the own-tokens page and the admin's "token for a user" share: one form, one once-only notice. */

export type TokenOptions = inferRouterOutputs<AppRouter>["tokens"]["options"];
export type CreatedToken = inferRouterOutputs<AppRouter>["tokens"]["create"];
export type CreateTokenValues = inferRouterInputs<AppRouter>["tokens"]["create"];

export const DAY = 86_400;
const EXPIRY_CHOICES: Array<[string, number | null]> = [
  ["7 days", 7 * DAY],
  ["30 days", 30 * DAY],
  ["90 days", 90 * DAY],
  ["1 year", 365 * DAY],
  ["Never", null],
];

type TokenFormValues = { name: string; scopes: string[]; expiresInSeconds: string };
const TOKEN_FIELDS = { fields: ["name", "scopes", "expiresInSeconds"] } as const;

/**
 * Name, scopes, expiry, validated with tokens.create's own schema (createTokenInput; the admin's
 * procedure takes the same fields). `grantable` says which scopes may go on the token (the caller's
 * credential for one's own token, the owner's role for an admin's token for someone else); the
 * server has the last word either way, and its refusal shows under the field it names. The form
 * keeps what was typed when the server refuses it, and empties when the token is made.
 */
export function CreateTokenForm({
  options,
  grantable,
  notGrantableHint,
  title,
  idPrefix,
  onCreate,
}: {
  options: TokenOptions;
  grantable: (scope: Scope) => boolean;
  notGrantableHint?: string;
  title: string;
  idPrefix: string;
  /** Resolves when created (the form is then cleared), rejects with the server's error when refused. */
  onCreate: (values: CreateTokenValues) => Promise<unknown>;
}) {
  const choices = EXPIRY_CHOICES.filter(([, seconds]) =>
    seconds === null ? options.allowNoExpiry : seconds <= options.maxExpiresInSeconds,
  );
  const empty: TokenFormValues = { name: "", scopes: [], expiresInSeconds: String(options.defaultExpiresInSeconds) };
  const form = useSchemaForm(createTokenInput, {
    defaultValues: empty,
    toInput: (v: TokenFormValues) => ({
      ...v,
      expiresInSeconds: v.expiresInSeconds === "never" ? null : Number(v.expiresInSeconds),
    }),
  });
  const onSubmit = form.handleSubmit(async (values) => {
    try {
      await onCreate(values);
      form.reset(empty);
    } catch (error) {
      showRefusal(form, error, TOKEN_FIELDS);
    }
  });

  return (
    <Card title={title}>
      <form onSubmit={onSubmit} className="space-y-4" noValidate aria-label={title}>
        <FormMessage form={form} />
        <div className="grid gap-4 md:grid-cols-2">
          <FormField
            form={form}
            name="name"
            label="Name"
            id={`${idPrefix}-name`}
            hint="What will use it, e.g. “nightly export”"
          >
            {(control) => <Input {...control} autoComplete="off" />}
          </FormField>
          <FormField form={form} name="expiresInSeconds" label="Expires after" id={`${idPrefix}-expiry`}>
            {(control) => (
              <Select {...control} className="w-full">
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
            )}
          </FormField>
        </div>
        <FormFieldset form={form} name="scopes" legend="Scopes" id={`${idPrefix}-scopes`}>
          <div className="mt-2 grid gap-2 md:grid-cols-2">
            {options.scopes.map((s) => {
              const ok = grantable(s.scope);
              return (
                <label key={s.scope} className={`flex items-start gap-2 text-sm ${ok ? "" : "opacity-50"}`}>
                  <input type="checkbox" {...form.register("scopes")} value={s.scope} disabled={!ok} className="mt-1" />
                  <span>
                    <code className="font-medium">{s.scope}</code>
                    <span className="block text-slate-600">{s.description}</span>
                    {!ok && notGrantableHint ? <span className="block text-xs">{notGrantableHint}</span> : null}
                  </span>
                </label>
              );
            })}
          </div>
        </FormFieldset>
        <Button type="submit" disabled={form.formState.isSubmitting}>
          Create token
        </Button>
      </form>
    </Card>
  );
}

/** The secret, once, with a copy button; only a hash is kept. */
export function NewTokenNotice({
  created,
  forWhom,
  onDismiss,
}: {
  created: CreatedToken;
  forWhom?: string;
  onDismiss: () => void;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <Card title={`New token “${created.name}”${forWhom ? ` for ${forWhom}` : ""}`}>
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
          Id <code className="font-mono">{created.id}</code> · scopes: {created.scopes.join(", ")} · expires{" "}
          {created.expiresAt ? formatTime(created.expiresAt) : "never"}
        </p>
      </div>
    </Card>
  );
}

/** "Revoke token “ci-deploy” (tok_…)?" — how every confirmation names a token. */
export function tokenLabel(t: { name: string; id: string }): string {
  return `“${t.name}” (${t.id})`;
}
