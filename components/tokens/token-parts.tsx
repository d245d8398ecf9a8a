"use client";

import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { type FormEvent, useState } from "react";
import type { Scope } from "@/server/auth/scopes";
import type { AppRouter } from "@/server/root";
import { Alert, Button, Card, Field, formatTime, Input, Select } from "../ui";

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

/**
 * Name, scopes, expiry. `grantable` says which scopes may go on the token (the caller's credential
 * for one's own token, the owner's role for an admin's token for someone else); the server has the
 * last word either way. The form keeps what was typed when the server refuses it.
 */
export function CreateTokenForm({
  options,
  grantable,
  notGrantableHint,
  title,
  idPrefix,
  pending,
  error,
  onCreate,
}: {
  options: TokenOptions;
  grantable: (scope: Scope) => boolean;
  notGrantableHint?: string;
  title: string;
  idPrefix: string;
  pending: boolean;
  error: string | null;
  /** Resolves when created (the form is then cleared), rejects when refused (the input is kept). */
  onCreate: (values: CreateTokenValues) => Promise<unknown>;
}) {
  const choices = EXPIRY_CHOICES.filter(([, seconds]) =>
    seconds === null ? options.allowNoExpiry : seconds <= options.maxExpiresInSeconds,
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const expiry = String(form.get("expiry") ?? "");
    onCreate({
      name: String(form.get("name") ?? ""),
      scopes: form.getAll("scopes").map(String) as CreateTokenValues["scopes"],
      expiresInSeconds: expiry === "never" ? null : Number(expiry),
    }).then(
      () => formEl.reset(),
      () => undefined,
    );
  }

  return (
    <Card title={title}>
      <form onSubmit={onSubmit} className="space-y-4" noValidate aria-label={title}>
        {error ? <Alert>{error}</Alert> : null}
        <div className="grid gap-4 md:grid-cols-2">
          <Field label="Name" htmlFor={`${idPrefix}-name`} hint="What will use it, e.g. “nightly export”">
            <Input id={`${idPrefix}-name`} name="name" required maxLength={100} />
          </Field>
          <Field label="Expires after" htmlFor={`${idPrefix}-expiry`}>
            <Select
              id={`${idPrefix}-expiry`}
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
            {options.scopes.map((s) => {
              const ok = grantable(s.scope);
              return (
                <label key={s.scope} className={`flex items-start gap-2 text-sm ${ok ? "" : "opacity-50"}`}>
                  <input type="checkbox" name="scopes" value={s.scope} disabled={!ok} className="mt-1" />
                  <span>
                    <code className="font-medium">{s.scope}</code>
                    <span className="block text-slate-600">{s.description}</span>
                    {!ok && notGrantableHint ? <span className="block text-xs">{notGrantableHint}</span> : null}
                  </span>
                </label>
              );
            })}
          </div>
        </fieldset>
        <Button type="submit" disabled={pending}>
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
