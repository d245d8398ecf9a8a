"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from "react";
import { SCOPES, type Scope } from "@/server/auth/scopes";
import type { AppRouter } from "@/server/root";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, Field, formatTime, Input, Select, Table, toast } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";

type Outputs = inferRouterOutputs<AppRouter>["admin"]["oauthClients"];
type Client = Outputs["list"]["items"][number];
type CreateInput = inferRouterInputs<AppRouter>["admin"]["oauthClients"]["create"];
type GrantType = CreateInput["grantTypes"][number];
type ClientType = CreateInput["type"];

const DAY = 86_400;
// The defaults and bounds of services/oauth-clients.ts (which has the last word and says why it refuses).
const DEFAULT_ACCESS_TTL_S = 600;
const MIN_ACCESS_TTL_S = 60;
const MAX_ACCESS_TTL_S = 3600;
const DEFAULT_REFRESH_DAYS = 30;
const MAX_REFRESH_DAYS = 365;

const GRANT_TYPES: Array<{ value: GrantType; label: string; hint: string }> = [
  {
    value: "authorization_code",
    label: "Authorization code (with PKCE)",
    hint: "A person signs in here and allows the application to act for them.",
  },
  {
    value: "refresh_token",
    label: "Refresh token",
    hint: "The application may renew its access without asking the person again.",
  },
  {
    value: "client_credentials",
    label: "Client credentials",
    hint: "A program acts as itself, through its own service account. Confidential clients only.",
  },
];

const GRACE_CHOICES: Array<[string, number]> = [
  ["none", 0],
  ["1 hour", 3600],
  ["1 day", DAY],
  ["7 days", 7 * DAY],
];

/** Shown once, right after a client is registered or its secret rotated. */
interface FreshCredentials {
  title: string;
  clientId: string;
  clientSecret: string | null;
}

/**
 * The "OAuth clients" page: register applications, rotate their secrets,
 * disable or delete them, see and revoke what users have granted them, and
 * rotate the key that signs access tokens.
 */
export function OAuthClientsManager() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [fresh, setFresh] = useState<FreshCredentials | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.oauthClients.pathKey() });

  return (
    <div className="space-y-6">
      {fresh ? <CredentialsNotice fresh={fresh} onDismiss={() => setFresh(null)} /> : null}
      <RegisterClientForm
        onCreated={(created) => {
          setFresh({
            title: `Registered “${created.client.name}”`,
            clientId: created.client.id,
            clientSecret: created.clientSecret,
          });
          void refresh();
        }}
      />
      <ClientList
        onRotated={(rotated) => {
          setFresh({
            title: `New secret for “${rotated.client.name}”`,
            clientId: rotated.client.id,
            clientSecret: rotated.clientSecret,
          });
          void refresh();
        }}
        onChanged={refresh}
      />
      <SigningKeys />
    </div>
  );
}

/** The grant types a form has ticked: they decide which other fields apply. */
function useGrantTypes(initial: GrantType[]) {
  const [grantTypes, setGrantTypes] = useState<GrantType[]>(initial);
  const toggle = (value: GrantType, on: boolean) =>
    setGrantTypes((current) => (on ? [...current, value] : current.filter((g) => g !== value)));
  return { grantTypes, setGrantTypes, toggle };
}

/** What the shared fields start from: a registered client's settings, or (undefined) the defaults of registration. */
type ClientSettings = Pick<
  Client,
  "name" | "redirectUris" | "scopes" | "accessTokenTtlSeconds" | "refreshTokenTtlSeconds" | "accessTokenSigningAlg"
>;

type SigningAlg = Client["accessTokenSigningAlg"];
const SIGNING_ALGS: Array<{ value: SigningAlg; label: string }> = [
  { value: "ES256", label: "ES256 (ECDSA P-256, recommended)" },
  { value: "RS256", label: "RS256 (RSA, for clients that only verify RSA)" },
];

/**
 * The fields registration and editing share: everything but the type, which
 * is fixed at registration (`typeField` shows it, beside the name). All are
 * uncontrolled except the grant types, which decide what else applies;
 * `idPrefix` keeps the ids of the two forms apart when both are on the page.
 */
function ClientFields({
  idPrefix,
  type,
  typeField,
  grantTypes,
  onToggleGrant,
  initial,
}: {
  idPrefix: string;
  type: ClientType;
  typeField: ReactNode;
  grantTypes: GrantType[];
  onToggleGrant: (value: GrantType, on: boolean) => void;
  initial?: ClientSettings;
}) {
  const usesCode = grantTypes.includes("authorization_code");
  return (
    <>
      <div className="grid gap-4 md:grid-cols-2">
        <Field label="Name" htmlFor={`${idPrefix}-name`} hint="Shown to people on the consent page.">
          <Input
            id={`${idPrefix}-name`}
            name="name"
            required
            maxLength={100}
            autoComplete="off"
            defaultValue={initial?.name}
          />
        </Field>
        {typeField}
      </div>
      <fieldset>
        <legend className="text-sm font-medium text-slate-700">Grant types</legend>
        <div className="mt-2 grid gap-2 md:grid-cols-3">
          {GRANT_TYPES.map((g) => {
            const unavailable = g.value === "client_credentials" && type === "public";
            return (
              <label key={g.value} className={`flex items-start gap-2 text-sm ${unavailable ? "opacity-50" : ""}`}>
                <input
                  type="checkbox"
                  name="grantTypes"
                  value={g.value}
                  checked={grantTypes.includes(g.value) && !unavailable}
                  disabled={unavailable}
                  onChange={(e) => onToggleGrant(g.value, e.target.checked)}
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
      </fieldset>
      <Field
        label="Redirect URIs"
        htmlFor={`${idPrefix}-redirects`}
        hint={
          usesCode
            ? "One per line, matched character for character. https, or http://127.0.0.1:<port>/… for a native app."
            : "Only for clients allowed the authorization code flow."
        }
      >
        <textarea
          id={`${idPrefix}-redirects`}
          name="redirectUris"
          rows={3}
          disabled={!usesCode}
          spellCheck={false}
          placeholder="https://app.example.com/oauth/callback"
          defaultValue={initial?.redirectUris.join("\n")}
          className="block w-full rounded-md border border-slate-300 px-3 py-1.5 font-mono text-sm focus:border-brand-500 focus:outline-none disabled:bg-slate-50 disabled:text-slate-400"
        />
      </Field>
      <fieldset>
        <legend className="text-sm font-medium text-slate-700">Scopes</legend>
        <p className="text-xs text-slate-500">
          The most this client&apos;s tokens may carry; each token is further limited to what the person allowed and
          what their role permits.
        </p>
        <div className="mt-2 grid gap-2 md:grid-cols-2">
          {(Object.entries(SCOPES) as Array<[Scope, string]>).map(([scope, description]) => (
            <label key={scope} className="flex items-start gap-2 text-sm">
              <input
                type="checkbox"
                name="scopes"
                value={scope}
                defaultChecked={initial?.scopes.includes(scope)}
                className="mt-1"
              />
              <span>
                <code className="font-medium">{scope}</code>
                <span className="block text-slate-600">{description}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <div className="grid gap-4 md:grid-cols-2">
        <Field
          label="Access token lifetime (seconds)"
          htmlFor={`${idPrefix}-access-ttl`}
          hint={`${MIN_ACCESS_TTL_S} to ${MAX_ACCESS_TTL_S}. Short on purpose: an access token cannot be recalled from a copy.`}
        >
          <Input
            id={`${idPrefix}-access-ttl`}
            name="accessTtl"
            type="number"
            min={MIN_ACCESS_TTL_S}
            max={MAX_ACCESS_TTL_S}
            step={1}
            defaultValue={initial?.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TTL_S}
          />
        </Field>
        <Field
          label="Refresh token lifetime (days)"
          htmlFor={`${idPrefix}-refresh-days`}
          hint="How long an authorization lasts, however often it is refreshed (at most a year)."
        >
          <Input
            id={`${idPrefix}-refresh-days`}
            name="refreshDays"
            type="number"
            min={1}
            max={MAX_REFRESH_DAYS}
            // A lifetime set in hours elsewhere (CLI, API) shows as the fraction of a day it is, and is saved unchanged.
            step={initial ? "any" : 1}
            defaultValue={initial ? initial.refreshTokenTtlSeconds / DAY : DEFAULT_REFRESH_DAYS}
          />
        </Field>
        <Field
          label="Access token signing algorithm"
          htmlFor={`${idPrefix}-signing-alg`}
          hint="How its access tokens are signed; both kinds of key are published in the JWKS. A change applies to tokens issued from then on."
        >
          <Select
            id={`${idPrefix}-signing-alg`}
            name="signingAlg"
            defaultValue={initial?.accessTokenSigningAlg ?? "ES256"}
            className="w-full"
          >
            {SIGNING_ALGS.map((alg) => (
              <option key={alg.value} value={alg.value}>
                {alg.label}
              </option>
            ))}
          </Select>
        </Field>
      </div>
    </>
  );
}

/** ClientFields read back out of their form, in the shape the service takes. */
function readClientFields(form: FormData, type: ClientType, grantTypes: GrantType[]) {
  const usesCode = grantTypes.includes("authorization_code");
  return {
    name: String(form.get("name") ?? ""),
    redirectUris: usesCode
      ? String(form.get("redirectUris") ?? "")
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter(Boolean)
      : [],
    grantTypes: type === "public" ? grantTypes.filter((g) => g !== "client_credentials") : grantTypes,
    scopes: form.getAll("scopes").map(String) as Scope[],
    accessTokenTtlSeconds: Number(form.get("accessTtl")),
    refreshTokenTtlSeconds: Math.round(Number(form.get("refreshDays")) * DAY),
    accessTokenSigningAlg: (form.get("signingAlg") === "RS256" ? "RS256" : "ES256") as SigningAlg,
  };
}

const DEFAULT_GRANTS: GrantType[] = ["authorization_code", "refresh_token"];

function RegisterClientForm({ onCreated }: { onCreated: (created: Outputs["create"]) => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.admin.oauthClients.create.mutationOptions({ onSuccess: onCreated }));
  const [type, setType] = useState<ClientType>("confidential");
  const { grantTypes, setGrantTypes, toggle } = useGrantTypes(DEFAULT_GRANTS);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    create.mutate(
      { type, ...readClientFields(new FormData(formEl), type, grantTypes) },
      {
        onSuccess: () => {
          formEl.reset();
          setType("confidential");
          setGrantTypes(DEFAULT_GRANTS);
        },
      },
    );
  }

  return (
    <Card title="Register a client">
      <form onSubmit={onSubmit} className="space-y-4" noValidate aria-label="Register a client">
        {create.error ? <Alert>{errorMessage(create.error)}</Alert> : null}
        <ClientFields
          idPrefix="oauth-client"
          type={type}
          grantTypes={grantTypes}
          onToggleGrant={toggle}
          typeField={
            <Field
              label="Type"
              htmlFor="oauth-client-type"
              hint={
                type === "confidential"
                  ? "Runs on a server that can keep a secret."
                  : "Runs where a secret cannot be kept (browser, mobile or desktop app): no secret, PKCE only."
              }
            >
              <Select
                id="oauth-client-type"
                name="type"
                value={type}
                onChange={(e) => setType(e.target.value === "public" ? "public" : "confidential")}
                className="w-full"
              >
                <option value="confidential">Confidential</option>
                <option value="public">Public</option>
              </Select>
            </Field>
          }
        />
        <Button type="submit" disabled={create.isPending}>
          Register client
        </Button>
      </form>
    </Card>
  );
}

/**
 * Changes a registered client (its type excepted). The service has the last
 * word and names what it refuses; the notice says what a change does to
 * what the client already holds.
 */
function EditClientForm({
  client,
  onSaved,
  onClose,
}: {
  client: Client;
  onSaved: (updated: Outputs["update"]) => void;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const update = useMutation(trpc.admin.oauthClients.update.mutationOptions({ onSuccess: onSaved }));
  const { grantTypes, toggle } = useGrantTypes(client.grantTypes);
  const formRef = useRef<HTMLFormElement>(null);

  // The form opens below the list: bring it into view, with the keyboard in its first field.
  useEffect(() => {
    formRef.current?.querySelector<HTMLInputElement>("input[name=name]")?.focus();
  }, []);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    update.mutate({ id: client.id, ...readClientFields(new FormData(event.currentTarget), client.type, grantTypes) });
  }

  return (
    <Card
      title={`Edit “${client.name}”`}
      actions={
        <Button variant="ghost" onClick={onClose}>
          Close
        </Button>
      }
    >
      <form ref={formRef} onSubmit={onSubmit} className="space-y-4" noValidate aria-label={`Edit ${client.name}`}>
        <Alert kind="info">
          Scopes taken away are gone at once from the tokens the client already holds; a grant type taken away is
          refused from now on, its refresh tokens included. Redirect URIs and lifetimes apply to what is issued from now
          on.
        </Alert>
        {update.error ? <Alert>{errorMessage(update.error)}</Alert> : null}
        <ClientFields
          idPrefix="oauth-edit"
          type={client.type}
          grantTypes={grantTypes}
          onToggleGrant={toggle}
          initial={client}
          typeField={
            <Field label="Type" htmlFor="oauth-edit-type" hint="Fixed at registration: a client cannot change type.">
              <Input id="oauth-edit-type" readOnly value={client.type} className="bg-slate-50 text-slate-600" />
            </Field>
          }
        />
        <div className="flex gap-2">
          <Button type="submit" disabled={update.isPending}>
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

function CredentialsNotice({ fresh, onDismiss }: { fresh: FreshCredentials; onDismiss: () => void }) {
  const [copied, setCopied] = useState<"id" | "secret" | null>(null);
  const copy = async (what: "id" | "secret", value: string) => {
    await navigator.clipboard.writeText(value);
    setCopied(what);
  };
  return (
    <Card title={fresh.title}>
      <div className="space-y-3">
        {fresh.clientSecret ? (
          <Alert kind="warning">
            Copy the client secret now and store it where the application can read it. It is shown only this once:
            Gatehouse keeps only a hash and cannot show it again.
          </Alert>
        ) : (
          <Alert kind="info">This is a public client: it has no secret and must use PKCE.</Alert>
        )}
        <Field label="client_id" htmlFor="oauth-new-client-id">
          <div className="flex gap-2">
            <Input
              id="oauth-new-client-id"
              readOnly
              value={fresh.clientId}
              data-testid="new-client-id"
              className="font-mono"
            />
            <Button variant="secondary" onClick={() => copy("id", fresh.clientId)}>
              {copied === "id" ? "Copied" : "Copy"}
            </Button>
          </div>
        </Field>
        {fresh.clientSecret ? (
          <Field label="client_secret" htmlFor="oauth-new-client-secret">
            <div className="flex gap-2">
              <Input
                id="oauth-new-client-secret"
                readOnly
                value={fresh.clientSecret}
                data-testid="new-client-secret"
                className="font-mono"
              />
              <Button variant="secondary" onClick={() => copy("secret", fresh.clientSecret as string)}>
                {copied === "secret" ? "Copied" : "Copy"}
              </Button>
            </div>
          </Field>
        ) : null}
        <Button variant="ghost" onClick={onDismiss}>
          Done
        </Button>
      </div>
    </Card>
  );
}

function ClientList({
  onRotated,
  onChanged,
}: {
  onRotated: (rotated: Outputs["rotateSecret"]) => void;
  onChanged: () => void;
}) {
  const trpc = useTRPC();
  const list = useQuery(trpc.admin.oauthClients.list.queryOptions());
  const [grace, setGrace] = useState(String(DAY));
  const [notice, setNotice] = useState<string | null>(null);
  const [openGrantsOf, setOpenGrantsOf] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const rotate = useMutation(trpc.admin.oauthClients.rotateSecret.mutationOptions({ onSuccess: onRotated }));
  const setDisabled = useMutation(trpc.admin.oauthClients.setDisabled.mutationOptions());
  const remove = useMutation(trpc.admin.oauthClients.delete.mutationOptions());
  const clients = list.data?.items ?? [];
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

  return (
    <>
      <Card title={`Clients${list.data ? ` (${clients.length})` : ""}`}>
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
        <Table
          head={[
            "Name",
            "client_id",
            "Type",
            "Grant types",
            "Scopes",
            "Token signing",
            "Secret",
            "Active grants",
            "Status",
            "",
          ]}
          empty={
            list.isSuccess && clients.length === 0 ? (
              <p className="px-3 py-6 text-center text-sm text-slate-500">No clients registered yet.</p>
            ) : null
          }
        >
          {clients.map((c) => (
            <tr
              key={c.id}
              data-testid="oauth-client-row"
              className={c.id === openGrantsOf || c.id === editing ? "bg-brand-50" : undefined}
            >
              <td className="px-3 py-2 font-medium">{c.name}</td>
              <td className="px-3 py-2 font-mono text-xs">{c.id}</td>
              <td className="px-3 py-2">
                <Badge tone={c.type === "confidential" ? "blue" : "slate"}>{c.type}</Badge>
              </td>
              <td className="px-3 py-2 text-xs">
                {c.grantTypes.map((g) => (
                  <code key={g} className="block">
                    {g}
                  </code>
                ))}
              </td>
              <td className="px-3 py-2">
                <div className="flex flex-wrap gap-1">
                  {c.scopes.map((s) => (
                    <Badge key={s}>{s}</Badge>
                  ))}
                </div>
              </td>
              <td className="px-3 py-2 text-xs">
                <code data-testid="oauth-client-signing-alg">{c.accessTokenSigningAlg}</code>
              </td>
              <td className="px-3 py-2 text-xs">
                {c.secretDisplay ? <span className="font-mono">{c.secretDisplay}</span> : "none (public)"}
                {c.previousSecretExpiresAt ? (
                  <span className="block text-amber-800">
                    previous valid until {formatTime(c.previousSecretExpiresAt)}
                  </span>
                ) : null}
              </td>
              <td className="px-3 py-2 text-right tabular-nums">{c.activeGrants}</td>
              <td className="px-3 py-2">
                {c.disabledAt ? <Badge tone="red">disabled</Badge> : <Badge tone="green">active</Badge>}
              </td>
              <td className="px-3 py-2">
                {/* Stacked, so the table fits the page instead of hiding actions behind a scroll. */}
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
                        <Button
                          variant="ghost"
                          aria-label={`Rotate the secret of ${c.name}`}
                          disabled={rotate.isPending}
                        >
                          Rotate secret
                        </Button>
                      }
                      title={`Rotate the secret of ${c.name} (${c.id})?`}
                      description={
                        <p>
                          A new secret is made and shown once. The current secret stops working {graceWhen}: put the new
                          one into the application before then.
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
                          It can no longer authenticate, and its {c.activeGrants} active grant(s) are revoked for good:
                          enabling it again does not bring them back.
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
                        Every grant and token it holds ends now, and the application can no longer sign anyone in. This
                        cannot be undone.
                      </p>
                    }
                    confirmLabel="Delete client"
                    onConfirm={() => deleteClient(c)}
                  />
                </div>
              </td>
            </tr>
          ))}
        </Table>
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

function SigningKeys() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.admin.oauthClients.signingKeys.queryOptions());
  const rotate = useMutation(
    trpc.admin.oauthClients.rotateSigningKey.mutationOptions({
      onError: (error) => toast.error("The signing keys were not rotated", errorMessage(error)),
      onSuccess: (r) => {
        toast.success(
          `New signing keys: ${r.rotated.map((k) => `${k.kid} (${k.alg})`).join(", ")}.`,
          "Tokens signed by the previous keys stay valid until they expire.",
        );
        void queryClient.invalidateQueries({ queryKey: trpc.admin.oauthClients.signingKeys.pathKey() });
      },
    }),
  );
  const items = keys.data?.items ?? [];
  return (
    <Card
      title="Signing keys"
      actions={
        <ConfirmDialog
          trigger={
            <Button variant="secondary" disabled={rotate.isPending}>
              Rotate signing keys now
            </Button>
          }
          tone="primary"
          title="Make new signing keys now?"
          description={
            <p>
              New access tokens are signed with new keys at once. The current keys stop signing but stay published, so
              tokens they signed keep verifying until they expire.
            </p>
          }
          confirmLabel="Rotate signing keys"
          onConfirm={() => rotate.mutateAsync({}).catch(() => undefined)}
        />
      }
    >
      <p className="mb-3 max-w-3xl text-sm text-slate-600">
        Access tokens are JWTs signed with ES256, or RS256 for clients registered for it; each algorithm has its own
        key. A key is replaced every 30 days; a replaced key stays published (JWKS at <code>/oauth/jwks</code>) until
        every token it signed has expired. Rotate now if you suspect a key has leaked.
      </p>
      {keys.error ? <Alert>{errorMessage(keys.error)}</Alert> : null}
      <Table
        head={["Key id (kid)", "Algorithm", "Status", "Created", "Retired", "Removed after"]}
        empty={
          keys.isSuccess && items.length === 0 ? (
            <p className="px-3 py-6 text-center text-sm text-slate-500">
              No signing key yet: one of each algorithm is made when the first access token is issued.
            </p>
          ) : null
        }
      >
        {items.map((k) => (
          <tr key={k.kid} data-testid="signing-key-row">
            <td className="px-3 py-2 font-mono text-xs">{k.kid}</td>
            <td className="px-3 py-2 text-xs">{k.alg}</td>
            <td className="px-3 py-2">{k.retiredAt ? <Badge>retired</Badge> : <Badge tone="green">signing</Badge>}</td>
            <td className="px-3 py-2 text-xs">{formatTime(k.createdAt)}</td>
            <td className="px-3 py-2 text-xs">{formatTime(k.retiredAt)}</td>
            <td className="px-3 py-2 text-xs">{formatTime(k.removeAfter)}</td>
          </tr>
        ))}
      </Table>
    </Card>
  );
}
