import { z } from "zod";
import { OAUTH_CLIENT_TYPES, OAUTH_GRANT_TYPES, type OAuthGrantType, SIGNING_ALGS } from "@/db/schema";
import { ALL_SCOPES, isScope, type Scope } from "../../auth/scopes";
import { formatDuration, parseDuration } from "../../config/duration";
import { idPattern } from "../../ids";
import { listSigningKeys, MAX_ACCESS_TOKEN_TTL_S, rotateSigningKeys } from "../../oauth/signing-keys";
import { createClientInput } from "../../routers/admin/oauth-clients.schemas";
import {
  type ClientSummary,
  type ClientWithSecret,
  createClient,
  deleteClient,
  getClient,
  listClientGrants,
  listClients,
  MAX_REFRESH_TOKEN_TTL_S,
  MAX_SECRET_GRACE_S,
  MIN_ACCESS_TOKEN_TTL_S,
  MIN_REFRESH_TOKEN_TTL_S,
  revokeGrant,
  rotateClientSecret,
  setClientDisabled,
  type UpdateClientInput,
  updateClient,
} from "../../services/oauth-clients";
import { UsageError } from "../errors";
import { type Column, oneLine, table } from "../output";
import { defineCommand } from "../registry";

/**
 * `oauth-client …` and `oauth-keys …`: the same services as the dashboard's
 * OAuth clients page, so the same registration rules hold (https redirect
 * URIs, no client_credentials for public clients, known scopes) and every
 * change is audited as actor `cli`. A client secret is printed only by
 * `create` and `rotate-secret`, once; everything else shows its display form.
 */

const clientId = z.string().regex(idPattern("oauthClient"), "must be a client id (ocl_…)");
const clientIdArg = {
  type: "string",
  schema: clientId,
  placeholder: "ID",
  description: "the client's id (its client_id, ocl_…)",
  positional: true,
} as const;

/** "a,b , c" → ["a", "b", "c"]. */
function commaList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

const grants = z
  .string()
  .transform(commaList)
  .refine((list) => list.length > 0, "give at least one grant type")
  .refine(
    (list) => list.every((g) => (OAUTH_GRANT_TYPES as readonly string[]).includes(g)),
    `must be a comma-separated list of ${OAUTH_GRANT_TYPES.join(", ")}`,
  )
  .transform((list) => list as OAuthGrantType[])
  .pipe(createClientInput.shape.grantTypes);

const scopes = z
  .string()
  .transform(commaList)
  .refine((list) => list.length > 0, "give at least one scope")
  .refine((list) => list.every(isScope), `unknown scope (known: ${ALL_SCOPES.join(", ")})`)
  .transform((list) => list as Scope[])
  .pipe(createClientInput.shape.scopes);

// The registration procedures' own rules (routers/admin/oauth-clients.schemas.ts), so both doors agree.
const clientName = createClientInput.shape.name;
const redirectUris = createClientInput.shape.redirectUris;
const signingAlg = z.enum(SIGNING_ALGS, { error: `must be one of ${SIGNING_ALGS.join(", ")}` });

/**
 * A lifetime like "10m" or "30d", in whole seconds, within [min, max]. The
 * bounds are the service's own, checked here too so the message names the flag.
 */
function seconds(min: number, max: number) {
  return z.string().transform((value, ctx) => {
    const ms = value.trim() === "0" ? 0 : parseDuration(value);
    if (ms === null || ms % 1000 !== 0) {
      ctx.addIssue({ code: "custom", message: "must be a duration like 10m, 12h or 30d" });
      return z.NEVER;
    }
    if (ms < min * 1000 || ms > max * 1000) {
      const bound = (s: number) => (s === 0 ? "0" : formatDuration(s * 1000));
      ctx.addIssue({ code: "custom", message: `must be between ${bound(min)} and ${bound(max)}` });
      return z.NEVER;
    }
    return ms / 1000;
  });
}

function status(client: ClientSummary): string {
  return client.disabledAt ? "disabled" : "active";
}

function secretShown(client: ClientSummary): string {
  if (client.type === "public") return "(none: public)";
  const display = client.secretDisplay ?? "";
  return client.previousSecretExpiresAt ? `${display} (old one until ${client.previousSecretExpiresAt})` : display;
}

const named = (client: ClientSummary) => `${client.id} (${oneLine(client.name)})`;

/** A client as one row of `oauth-client list` (also how `update` shows the result). */
const clientColumns: readonly Column<ClientSummary>[] = [
  { header: "ID", value: (c) => c.id },
  { header: "NAME", value: (c) => c.name },
  { header: "TYPE", value: (c) => c.type },
  { header: "GRANTS", value: (c) => c.grantTypes.join(",") },
  { header: "SCOPES", value: (c) => c.scopes.join(",") },
  { header: "STATUS", value: status },
  { header: "ACTIVE GRANTS", value: (c) => String(c.activeGrants) },
  { header: "SECRET", value: secretShown },
];

/** What the list does not show, after `create` and `update`: the redirect URIs and the lifetimes. */
function uriAndLifetimeLines(client: ClientSummary): string[] {
  return [
    ...client.redirectUris.map((uri, i) => `${i === 0 ? "Redirect URIs:" : "              "} ${oneLine(uri)}`),
    `Lifetimes:     access tokens ${formatDuration(client.accessTokenTtlSeconds * 1000)}, refresh tokens ${formatDuration(client.refreshTokenTtlSeconds * 1000)}`,
    `Signed with:   ${client.accessTokenSigningAlg}`,
  ];
}

/** The lines shared by `create` and `rotate-secret`: the id, the secret once, and the warning that goes with it. */
function credentialLines({ client, clientSecret }: ClientWithSecret): string[] {
  const lines = [`client_id:     ${client.id}`];
  if (clientSecret) {
    lines.push(
      `client_secret: ${clientSecret}`,
      "",
      "The client secret is shown only this once: only its hash is kept. Store it now, in the client's secret store.",
    );
  } else {
    lines.push("client_secret: none (a public client authenticates with PKCE, not a secret)");
  }
  return lines;
}

defineCommand({
  path: ["oauth-client", "create"],
  summary: "Register an OAuth client and print its client_id and, for a confidential client, its secret (shown once).",
  flags: {
    name: {
      type: "string",
      schema: clientName,
      placeholder: "N",
      description: "what the client is, as users will see it on the consent page",
    },
    type: {
      type: "string",
      schema: z.enum(OAUTH_CLIENT_TYPES, { error: `must be one of ${OAUTH_CLIENT_TYPES.join(", ")}` }),
      placeholder: OAUTH_CLIENT_TYPES.join("|"),
      description: "confidential (a server that can keep a secret) or public (a browser or native app, PKCE only)",
    },
    redirectUri: {
      type: "string",
      schema: redirectUris.default([]),
      placeholder: "U",
      description: "an exact redirect URI (https, or http on 127.0.0.1); repeat the flag for several",
      multiple: true,
    },
    grants: {
      type: "string",
      schema: grants,
      placeholder: "G1,G2",
      description: `grant types it may use: ${OAUTH_GRANT_TYPES.join(", ")}`,
    },
    scopes: { type: "string", schema: scopes, placeholder: "S1,S2", description: "the most its tokens may carry" },
    accessTtl: {
      type: "string",
      schema: seconds(MIN_ACCESS_TOKEN_TTL_S, MAX_ACCESS_TOKEN_TTL_S).optional(),
      placeholder: "10m",
      description: "access-token lifetime (default 10m)",
    },
    refreshTtl: {
      type: "string",
      schema: seconds(MIN_REFRESH_TOKEN_TTL_S, MAX_REFRESH_TOKEN_TTL_S).optional(),
      placeholder: "30d",
      description: "refresh-token lifetime, counted from the authorization (default 30d)",
    },
    signingAlg: {
      type: "string",
      schema: signingAlg.optional(),
      placeholder: SIGNING_ALGS.join("|"),
      description: "the JWS algorithm of its access tokens (default ES256; RS256 for a client that only verifies RSA)",
    },
  },
  async run(ctx, input) {
    const created = await createClient(await ctx.services(), {
      name: input.name,
      type: input.type,
      redirectUris: input.redirectUri,
      grantTypes: input.grants,
      scopes: input.scopes,
      accessTokenTtlSeconds: input.accessTtl,
      refreshTokenTtlSeconds: input.refreshTtl,
      accessTokenSigningAlg: input.signingAlg,
    });
    const { client, clientSecret } = created;
    return {
      // The shape of an RFC 7591 registration response, so scripts can read it as they would read one.
      json: {
        client_id: client.id,
        client_secret: clientSecret,
        name: client.name,
        type: client.type,
        redirect_uris: client.redirectUris,
        grant_types: client.grantTypes,
        scopes: client.scopes,
        access_token_ttl_seconds: client.accessTokenTtlSeconds,
        refresh_token_ttl_seconds: client.refreshTokenTtlSeconds,
        access_token_signing_alg: client.accessTokenSigningAlg,
      },
      text: [
        `Created ${client.type} OAuth client ${named(client)}.`,
        "",
        ...credentialLines(created),
        "",
        `Grants:        ${client.grantTypes.join(", ")}`,
        `Scopes:        ${client.scopes.join(" ")}`,
        ...uriAndLifetimeLines(client),
      ].join("\n"),
    };
  },
});

defineCommand({
  path: ["oauth-client", "list"],
  summary: "List the OAuth clients, newest first, with their active grants; never a secret.",
  flags: {},
  async run(ctx) {
    const svc = await ctx.services();
    const clients = await listClients(svc.db, svc.clock.now());
    const text = table(
      clients,
      clientColumns,
      "No OAuth clients yet (create one with: npm run gatehouse -- oauth-client create --help).",
    );
    return { json: { clients, total: clients.length }, text };
  },
});

defineCommand({
  path: ["oauth-client", "update"],
  summary:
    "Change a client's name, redirect URIs, grant types, scopes, lifetimes or signing algorithm (not its type); print it as list does.",
  flags: {
    id: clientIdArg,
    name: {
      type: "string",
      schema: clientName.optional(),
      placeholder: "N",
      description: "the new name, as users will see it on the consent page",
    },
    redirectUri: {
      type: "string",
      schema: redirectUris.optional(),
      placeholder: "U",
      description:
        "an exact redirect URI; repeat for several: the URIs given replace the whole list (dropped when --grants leaves out authorization_code)",
      multiple: true,
    },
    grants: {
      type: "string",
      schema: grants.optional(),
      placeholder: "G1,G2",
      description: `the grant types it may use (${OAUTH_GRANT_TYPES.join(", ")}); one taken away is refused from now on, refresh tokens included`,
    },
    scopes: {
      type: "string",
      schema: scopes.optional(),
      placeholder: "S1,S2",
      description: "the most its tokens may carry; a scope taken away is gone from live tokens on their next request",
    },
    accessTtl: {
      type: "string",
      schema: seconds(MIN_ACCESS_TOKEN_TTL_S, MAX_ACCESS_TOKEN_TTL_S).optional(),
      placeholder: "10m",
      description: "access-token lifetime, for tokens issued from now on",
    },
    refreshTtl: {
      type: "string",
      schema: seconds(MIN_REFRESH_TOKEN_TTL_S, MAX_REFRESH_TOKEN_TTL_S).optional(),
      placeholder: "30d",
      description: "refresh-token lifetime, for authorizations given from now on",
    },
    signingAlg: {
      type: "string",
      schema: signingAlg.optional(),
      placeholder: SIGNING_ALGS.join("|"),
      description: "the JWS algorithm of its access tokens, for tokens issued from now on",
    },
  },
  async run(ctx, input) {
    const changes: UpdateClientInput = {
      name: input.name,
      // Redirect URIs only go with authorization_code: dropping that grant drops them, as the dashboard does.
      redirectUris:
        input.redirectUri ?? (input.grants && !input.grants.includes("authorization_code") ? [] : undefined),
      grantTypes: input.grants,
      scopes: input.scopes,
      accessTokenTtlSeconds: input.accessTtl,
      refreshTokenTtlSeconds: input.refreshTtl,
      accessTokenSigningAlg: input.signingAlg,
    };
    if (Object.values(changes).every((value) => value === undefined)) {
      throw new UsageError(
        "nothing to change: give at least one of --name, --redirect-uri, --grants, --scopes, --access-ttl, --refresh-ttl, --signing-alg",
      );
    }
    const svc = await ctx.services();
    const before = await getClient(svc.db, input.id, svc.clock.now());
    const client = await updateClient(svc, input.id, changes);
    const settings = (c: ClientSummary) =>
      JSON.stringify([
        c.name,
        c.redirectUris,
        c.grantTypes,
        c.scopes,
        c.accessTokenTtlSeconds,
        c.refreshTokenTtlSeconds,
        c.accessTokenSigningAlg,
      ]);
    const changed = settings(before) !== settings(client);
    return {
      json: { client, changed },
      text: [
        changed
          ? `Updated OAuth client ${named(client)}.`
          : `OAuth client ${named(client)} already had these settings.`,
        "",
        table([client], clientColumns),
        ...uriAndLifetimeLines(client),
      ].join("\n"),
    };
  },
});

defineCommand({
  path: ["oauth-client", "disable"],
  summary:
    "Disable a client: it can no longer authenticate, and every grant it holds is revoked (not restored by enable).",
  flags: { id: clientIdArg },
  async run(ctx, input) {
    const svc = await ctx.services();
    const before = await getClient(svc.db, input.id, svc.clock.now());
    const client = await setClientDisabled(svc, input.id, true);
    const revoked = before.disabledAt ? 0 : before.activeGrants;
    return {
      json: { client, grantsRevoked: revoked },
      text: before.disabledAt
        ? `OAuth client ${named(client)} was already disabled.`
        : `Disabled OAuth client ${named(client)}; revoked ${revoked} grant(s): their tokens stop working on the next request.`,
    };
  },
});

defineCommand({
  path: ["oauth-client", "enable"],
  summary: "Enable a disabled client again (the grants revoked when it was disabled stay revoked).",
  flags: { id: clientIdArg },
  async run(ctx, input) {
    const client = await setClientDisabled(await ctx.services(), input.id, false);
    return { json: { client }, text: `OAuth client ${named(client)} is enabled.` };
  },
});

defineCommand({
  path: ["oauth-client", "delete"],
  summary: "Delete a client with all its grants, tokens and consents, and its service account.",
  flags: { id: clientIdArg },
  async run(ctx, input) {
    const svc = await ctx.services();
    const client = await getClient(svc.db, input.id, svc.clock.now());
    await deleteClient(svc, input.id);
    return { json: { deleted: { id: client.id, name: client.name } }, text: `Deleted OAuth client ${named(client)}.` };
  },
});

defineCommand({
  path: ["oauth-client", "rotate-secret"],
  summary:
    "Give a confidential client a new secret and print it (shown once); the old one keeps working for the grace period.",
  flags: {
    id: clientIdArg,
    grace: {
      type: "string",
      schema: seconds(0, MAX_SECRET_GRACE_S).default(86_400),
      placeholder: "1d",
      description: "how long the old secret keeps working, 0 to 7d (default 1d; 0 ends it at once)",
    },
  },
  async run(ctx, input) {
    const rotated = await rotateClientSecret(await ctx.services(), input.id, input.grace);
    const { client, clientSecret } = rotated;
    const until = client.previousSecretExpiresAt;
    return {
      json: { client_id: client.id, client_secret: clientSecret, previous_secret_expires_at: until },
      text: [
        `New secret for OAuth client ${named(client)}.`,
        "",
        ...credentialLines(rotated),
        "",
        until ? `The old secret keeps working until ${until}.` : "The old secret no longer works.",
      ].join("\n"),
    };
  },
});

defineCommand({
  path: ["oauth-client", "grants"],
  summary: "List a client's live grants: who authorised it, with which scopes, until when.",
  flags: { id: clientIdArg },
  async run(ctx, input) {
    const svc = await ctx.services();
    const grantList = await listClientGrants(svc.db, input.id, svc.clock.now());
    const text = table(
      grantList,
      [
        { header: "GRANT", value: (g) => g.id },
        { header: "KIND", value: (g) => g.kind },
        { header: "USER", value: (g) => g.userEmail },
        { header: "SCOPES", value: (g) => g.scopes.join(",") },
        { header: "CREATED", value: (g) => g.createdAt },
        { header: "EXPIRES", value: (g) => g.expiresAt },
      ],
      "No live grants.",
    );
    return { json: { grants: grantList }, text };
  },
});

defineCommand({
  path: ["oauth-client", "revoke-grant"],
  summary:
    "Revoke one grant (see `oauth-client grants`); its access and refresh tokens stop working on the next request.",
  flags: {
    id: {
      type: "string",
      schema: z.string().regex(idPattern("oauthGrant"), "must be a grant id (ogr_…)"),
      placeholder: "GRANT",
      description: "the grant's id",
      positional: true,
    },
  },
  async run(ctx, input) {
    const grant = await revokeGrant(await ctx.services(), input.id);
    return { json: { grant }, text: `Revoked grant ${grant.id}.` };
  },
});

defineCommand({
  path: ["oauth-keys", "list"],
  summary:
    "List the keys that sign access tokens: the active one of each algorithm, and retired ones still published in the JWKS.",
  flags: {},
  async run(ctx) {
    const svc = await ctx.services();
    const keys = (await listSigningKeys(svc.db, svc.clock.now())).map((k) => ({
      kid: k.kid,
      alg: k.alg,
      status: k.retiredAt ? "retired" : "active",
      createdAt: k.createdAt.toISOString(),
      retiredAt: k.retiredAt?.toISOString() ?? null,
      removeAfter: k.removeAfter?.toISOString() ?? null,
      jwk: k.jwk,
    }));
    const text = table(
      keys,
      [
        { header: "KID", value: (k) => k.kid },
        { header: "ALG", value: (k) => k.alg },
        { header: "STATUS", value: (k) => k.status },
        { header: "CREATED", value: (k) => k.createdAt },
        { header: "RETIRED", value: (k) => k.retiredAt ?? "" },
        { header: "LEAVES JWKS", value: (k) => k.removeAfter ?? "" },
      ],
      "No signing key yet: the first of each algorithm is made when the first access token is signed with it, or the JWKS is first served (or by oauth-keys rotate).",
    );
    return { json: { keys }, text };
  },
});

defineCommand({
  path: ["oauth-keys", "rotate"],
  summary:
    "Make new access-token signing keys now (ES256 and RS256, or --alg's only); the old ones stop signing but stay in the JWKS until their tokens expire.",
  flags: {
    alg: {
      type: "string",
      schema: signingAlg.optional(),
      placeholder: SIGNING_ALGS.join("|"),
      description: "replace only this algorithm's key (default: every algorithm's)",
    },
  },
  async run(ctx, input) {
    const svc = await ctx.services();
    // The private half of a signing key is sealed with the data-encryption keyring (always opened by the CLI runtime).
    if (!svc.keyring) throw new Error("no data-encryption keyring");
    const rotated = (
      await rotateSigningKeys(svc.db, {
        clock: svc.clock,
        keyring: svc.keyring,
        actor: svc.actor,
        client: svc.client,
        force: true,
        algs: input.alg ? [input.alg] : undefined,
      })
    ).map(({ alg, kid, retired }) => ({ alg, kid, previous: retired }));
    return {
      json: { rotated },
      text: rotated
        .map(({ alg, kid, previous }) =>
          previous
            ? `${alg}: key ${kid} now signs new access tokens. ${previous} is retired: it stays in the JWKS, and its tokens stay valid, until they have expired.`
            : `${alg}: key ${kid} now signs access tokens.`,
        )
        .join("\n"),
    };
  },
});
