"use client";

import { useMutation } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { SCOPES, type Scope } from "@/server/auth/scopes";
import { createClientInput, updateClientInput } from "@/server/routers/admin/oauth-clients.schemas";
import {
  DEFAULT_ACCESS_TOKEN_TTL_S,
  DEFAULT_REFRESH_TOKEN_TTL_S,
  MAX_ACCESS_TOKEN_TTL_S,
  MIN_ACCESS_TOKEN_TTL_S,
} from "@/server/services/oauth-client-limits";
import { useTRPC } from "../trpc";
import { Alert, Button, Card, Field, Input, Select } from "../ui";
import { FormField, FormFieldset, FormMessage, showRefusal, useSchemaForm } from "../ui/form";
import {
  type Client,
  type ClientType,
  DAY,
  GRANT_TYPES,
  type GrantType,
  type Outputs,
  SIGNING_ALG_CHOICES,
} from "./oauth-clients-shared";

/**
 * Registering and editing a client, validated with admin.oauthClients.create's and .update's own
 * schemas. The service has the last word on the combination (redirect URIs, grant types): its
 * refusal of a redirect URI shows under that field, anything else above the form, with what was
 * typed kept.
 */

/** What the inputs hold: the redirect URIs one per line, the refresh lifetime in days. */
export interface ClientFormValues {
  name: string;
  type: ClientType;
  grantTypes: GrantType[];
  redirectUris: string;
  scopes: Scope[];
  accessTokenTtlSeconds: string;
  refreshDays: string;
  accessTokenSigningAlg: Client["accessTokenSigningAlg"];
}

const FIELDS = {
  fields: [
    "name",
    "type",
    "grantTypes",
    "redirectUris",
    "scopes",
    "accessTokenTtlSeconds",
    "refreshDays",
    "accessTokenSigningAlg",
  ],
  aliases: { refreshTokenTtlSeconds: "refreshDays" },
  reasons: { invalid_redirect_uri: "redirectUris" },
};
const ALIASES = { refreshTokenTtlSeconds: "refreshDays" } as const;

const number = (text: string) => (text.trim() === "" ? undefined : Number(text));

/** The form's values in the shape the procedures take (what does not apply is left out or emptied). */
export function clientInputOf(v: ClientFormValues) {
  const usesCode = v.grantTypes.includes("authorization_code");
  const days = number(v.refreshDays);
  return {
    name: v.name,
    type: v.type,
    redirectUris: usesCode
      ? v.redirectUris
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter(Boolean)
      : [],
    grantTypes: v.type === "public" ? v.grantTypes.filter((g) => g !== "client_credentials") : v.grantTypes,
    scopes: v.scopes,
    accessTokenTtlSeconds: number(v.accessTokenTtlSeconds),
    refreshTokenTtlSeconds: days === undefined ? undefined : Math.round(days * DAY),
    accessTokenSigningAlg: v.accessTokenSigningAlg,
  };
}

const NEW_CLIENT: ClientFormValues = {
  name: "",
  type: "confidential",
  grantTypes: ["authorization_code", "refresh_token"],
  redirectUris: "",
  scopes: [],
  accessTokenTtlSeconds: String(DEFAULT_ACCESS_TOKEN_TTL_S),
  refreshDays: String(DEFAULT_REFRESH_TOKEN_TTL_S / DAY),
  accessTokenSigningAlg: "ES256",
};

function valuesOf(client: Client): ClientFormValues {
  return {
    name: client.name,
    type: client.type,
    grantTypes: client.grantTypes,
    redirectUris: client.redirectUris.join("\n"),
    scopes: client.scopes,
    accessTokenTtlSeconds: String(client.accessTokenTtlSeconds),
    // A lifetime set in hours elsewhere (CLI, API) shows as the fraction of a day it is, and is saved unchanged.
    refreshDays: String(client.refreshTokenTtlSeconds / DAY),
    accessTokenSigningAlg: client.accessTokenSigningAlg,
  };
}

type ClientForm = ReturnType<typeof useRegisterForm> | ReturnType<typeof useEditForm>;

function useRegisterForm() {
  return useSchemaForm(createClientInput, { defaultValues: NEW_CLIENT, toInput: clientInputOf, aliases: ALIASES });
}

function useEditForm(client: Client) {
  return useSchemaForm(updateClientInput, {
    defaultValues: valuesOf(client),
    toInput: (v: ClientFormValues) => {
      const { type: _fixed, ...rest } = clientInputOf(v);
      return { id: client.id, ...rest };
    },
    aliases: ALIASES,
  });
}

/**
 * The fields registration and editing share: everything but the type, which is fixed at
 * registration (`typeField` shows it, beside the name). The grant types decide what else applies;
 * `idPrefix` keeps the ids of the two forms apart when both are on the page.
 */
function ClientFields({ form, idPrefix, typeField }: { form: ClientForm; idPrefix: string; typeField: ReactNode }) {
  // Both forms have the same values; the union of their hook results only differs in the parsed input.
  const f = form as ReturnType<typeof useRegisterForm>;
  const type = f.watch("type");
  const usesCode = f.watch("grantTypes").includes("authorization_code");
  return (
    <>
      <div className="grid gap-4 md:grid-cols-2">
        <FormField
          form={f}
          name="name"
          label="Name"
          id={`${idPrefix}-name`}
          hint="Shown to people on the consent page."
        >
          {(control) => <Input {...control} autoComplete="off" />}
        </FormField>
        {typeField}
      </div>
      <FormFieldset form={f} name="grantTypes" legend="Grant types" id={`${idPrefix}-grants`}>
        <div className="mt-2 grid gap-2 md:grid-cols-3">
          {GRANT_TYPES.map((g) => {
            const unavailable = g.value === "client_credentials" && type === "public";
            return (
              <label key={g.value} className={`flex items-start gap-2 text-sm ${unavailable ? "opacity-50" : ""}`}>
                <input
                  type="checkbox"
                  {...f.register("grantTypes")}
                  value={g.value}
                  disabled={unavailable}
                  className="mt-1"
                />
                <span>
                  <span className="font-medium">{g.label}</span>
                  <code className="block text-xs text-slate-500">{g.value}</code>
                  <span className="block text-slate-600">{g.hint}</span>
                </span>
              </label>
            );
          })}
        </div>
      </FormFieldset>
      <FormField
        form={f}
        name="redirectUris"
        label="Redirect URIs"
        id={`${idPrefix}-redirects`}
        hint={
          usesCode
            ? "One per line, matched character for character. https, or http://127.0.0.1:<port>/… for a native app."
            : "Only for clients allowed the authorization code flow."
        }
      >
        {(control) => (
          <textarea
            {...control}
            rows={3}
            disabled={!usesCode}
            spellCheck={false}
            placeholder="https://app.example.com/oauth/callback"
            className="block w-full rounded-md border border-slate-300 px-3 py-1.5 font-mono text-sm focus:border-brand-500 focus:outline-none disabled:bg-slate-50 disabled:text-slate-400 aria-invalid:border-red-500"
          />
        )}
      </FormField>
      <FormFieldset
        form={f}
        name="scopes"
        legend="Scopes"
        id={`${idPrefix}-scopes`}
        hint="The most this client's tokens may carry; each token is further limited to what the person allowed and what their role permits."
      >
        <div className="mt-2 grid gap-2 md:grid-cols-2">
          {(Object.entries(SCOPES) as Array<[Scope, string]>).map(([scope, description]) => (
            <label key={scope} className="flex items-start gap-2 text-sm">
              <input type="checkbox" {...f.register("scopes")} value={scope} className="mt-1" />
              <span>
                <code className="font-medium">{scope}</code>
                <span className="block text-slate-600">{description}</span>
              </span>
            </label>
          ))}
        </div>
      </FormFieldset>
      <div className="grid gap-4 md:grid-cols-2">
        <FormField
          form={f}
          name="accessTokenTtlSeconds"
          label="Access token lifetime (seconds)"
          id={`${idPrefix}-access-ttl`}
          hint={`${MIN_ACCESS_TOKEN_TTL_S} to ${MAX_ACCESS_TOKEN_TTL_S}. Short on purpose: an access token cannot be recalled from a copy.`}
        >
          {(control) => <Input {...control} type="number" inputMode="numeric" step={1} />}
        </FormField>
        <FormField
          form={f}
          name="refreshDays"
          label="Refresh token lifetime (days)"
          id={`${idPrefix}-refresh-days`}
          hint="How long an authorization lasts, however often it is refreshed (at most a year)."
        >
          {(control) => <Input {...control} type="number" inputMode="decimal" step="any" />}
        </FormField>
        <FormField
          form={f}
          name="accessTokenSigningAlg"
          label="Access token signing algorithm"
          id={`${idPrefix}-signing-alg`}
          hint="How its access tokens are signed; both kinds of key are published in the JWKS. A change applies to tokens issued from then on."
        >
          {(control) => (
            <Select {...control} className="w-full">
              {SIGNING_ALG_CHOICES.map((alg) => (
                <option key={alg.value} value={alg.value}>
                  {alg.label}
                </option>
              ))}
            </Select>
          )}
        </FormField>
      </div>
    </>
  );
}

export function RegisterClientForm({ onCreated }: { onCreated: (created: Outputs["create"]) => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.admin.oauthClients.create.mutationOptions());
  const form = useRegisterForm();
  const type = form.watch("type");
  const onSubmit = form.handleSubmit(async (input) => {
    try {
      const created = await create.mutateAsync(input);
      form.reset(NEW_CLIENT);
      onCreated(created);
    } catch (error) {
      showRefusal(form, error, FIELDS);
    }
  });

  return (
    <Card title="Register a client">
      <form onSubmit={onSubmit} className="space-y-4" noValidate aria-label="Register a client">
        <FormMessage form={form} />
        <ClientFields
          form={form}
          idPrefix="oauth-client"
          typeField={
            <FormField
              form={form}
              name="type"
              label="Type"
              id="oauth-client-type"
              hint={
                type === "confidential"
                  ? "Runs on a server that can keep a secret."
                  : "Runs where a secret cannot be kept (browser, mobile or desktop app): no secret, PKCE only."
              }
            >
              {(control) => (
                <Select {...control} className="w-full">
                  <option value="confidential">Confidential</option>
                  <option value="public">Public</option>
                </Select>
              )}
            </FormField>
          }
        />
        <Button type="submit" disabled={form.formState.isSubmitting}>
          Register client
        </Button>
      </form>
    </Card>
  );
}

/**
 * Changes a registered client (its type excepted). The notice says what a change does to what
 * the client already holds.
 */
export function EditClientForm({
  client,
  onSaved,
  onClose,
}: {
  client: Client;
  onSaved: (updated: Outputs["update"]) => void;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const update = useMutation(trpc.admin.oauthClients.update.mutationOptions());
  const form = useEditForm(client);
  const onSubmit = form.handleSubmit(async (input) => {
    try {
      onSaved(await update.mutateAsync(input));
    } catch (error) {
      showRefusal(form, error, FIELDS);
    }
  });

  return (
    <Card
      title={`Edit “${client.name}”`}
      actions={
        <Button variant="ghost" onClick={onClose}>
          Close
        </Button>
      }
    >
      <form onSubmit={onSubmit} className="space-y-4" noValidate aria-label={`Edit ${client.name}`}>
        <Alert kind="info">
          Scopes taken away are gone at once from the tokens the client already holds; a grant type taken away is
          refused from now on, its refresh tokens included. Redirect URIs and lifetimes apply to what is issued from now
          on.
        </Alert>
        <FormMessage form={form} />
        <ClientFields
          form={form}
          idPrefix="oauth-edit"
          typeField={
            <Field label="Type" htmlFor="oauth-edit-type" hint="Fixed at registration: a client cannot change type.">
              <Input id="oauth-edit-type" readOnly value={client.type} className="bg-slate-50 text-slate-600" />
            </Field>
          }
        />
        <div className="flex gap-2">
          <Button type="submit" disabled={form.formState.isSubmitting}>
            Save changes
          </Button>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}
