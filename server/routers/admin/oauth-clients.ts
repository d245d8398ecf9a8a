import { z } from "zod";
import { requireStepUp } from "../../auth/step-up";
import { listSigningKeys, rotateSigningKeys } from "../../oauth/signing-keys";
import { requireKeyring } from "../../services/contact-codec";
import {
  type ClientSummary,
  createClient,
  deleteClient,
  getClient,
  listClientGrants,
  listClients,
  revokeGrant,
  rotateClientSecret,
  setClientDisabled,
  updateClient,
} from "../../services/oauth-clients";
import { listPageFields, pageOf, pageSchema } from "../../services/page-cursor";
import { adminProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";
import {
  clientIdInput,
  clientWithSecretSchema,
  createClientInput,
  listClientsInput,
  type OAuthClientSort,
  oauthClientSchema,
  oauthGrantSchema,
  revokeGrantInput,
  rotateSecretInput,
  rotateSigningKeyInput,
  setDisabledInput,
  signingKeyRotationSchema,
  signingKeySchema,
  updateClientInput,
} from "./oauth-clients.schemas";

const TAGS = ["admin-oauth-clients"];

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Each order of the list: its key (compared as a string: ISO times sort as they read) and default direction. */
const CLIENT_ORDERS: Record<OAuthClientSort, { key: (c: ClientSummary) => string; direction: "asc" | "desc" }> = {
  createdAt: { key: (c) => c.createdAt, direction: "desc" },
  name: { key: (c) => c.name.toLowerCase(), direction: "asc" },
};

/**
 * admin.oauthClients: the dashboard's "OAuth clients" page. Registration,
 * secret rotation, disabling, deletion and grant revocation are the services
 * the CLI uses too (services/oauth-clients.ts), each audited in its own
 * transaction. A secret appears in plaintext only in the answer to create and
 * rotateSecret; every other answer goes through oauthClientSchema, which has
 * no field that could carry one.
 */
export const adminOAuthClientsRouter = router({
  list: adminProcedure
    .meta({
      openapi: { method: "GET", path: "/admin/oauth-clients", tags: TAGS, summary: "The registered OAuth clients" },
    })
    .input(listClientsInput.optional())
    .output(pageSchema(oauthClientSchema))
    .query(async ({ ctx, input }) => {
      const sort = input?.sort ?? "createdAt";
      const { key, direction } = CLIENT_ORDERS[sort];
      // Without sort or direction the order is the one this list always had, and so is its cursor's form.
      const named = input?.sort !== undefined || input?.direction !== undefined;
      return pageOf(await listClients(ctx.db, ctx.clock.now()), input, {
        key,
        id: (c) => c.id,
        direction: input?.direction ?? direction,
        sort: named ? sort : undefined,
      });
    }),

  get: adminProcedure
    .meta({ openapi: { method: "GET", path: "/admin/oauth-clients/{id}", tags: TAGS, summary: "One OAuth client" } })
    .input(clientIdInput)
    .output(oauthClientSchema)
    .query(({ ctx, input }) => getClient(ctx.db, input.id, ctx.clock.now())),

  create: adminProcedure
    .meta({
      created: { location: "/admin/oauth-clients/{client.id}" },
      openapi: {
        method: "POST",
        path: "/admin/oauth-clients",
        tags: TAGS,
        summary: "Register an OAuth client",
        description: "A confidential client's secret is in the answer, once; only its hash is kept.",
      },
    })
    .input(createClientInput)
    .output(clientWithSecretSchema)
    .mutation(({ ctx, input }) => createClient(serviceContext(ctx), input)),

  update: adminProcedure
    .meta({
      openapi: {
        method: "PATCH",
        path: "/admin/oauth-clients/{id}",
        tags: TAGS,
        summary: "Change an OAuth client's registration",
      },
    })
    .input(updateClientInput)
    .output(oauthClientSchema)
    .mutation(({ ctx, input: { id, ...changes } }) => updateClient(serviceContext(ctx), id, changes)),

  rotateSecret: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/admin/oauth-clients/{id}/rotate-secret",
        tags: TAGS,
        summary: "Replace a client's secret; the old one works for graceSeconds",
      },
    })
    .input(rotateSecretInput)
    .output(clientWithSecretSchema)
    .mutation(({ ctx, input }) => rotateClientSecret(serviceContext(ctx), input.id, input.graceSeconds)),

  setDisabled: adminProcedure
    .meta({
      openapi: {
        method: "PUT",
        path: "/admin/oauth-clients/{id}/disabled",
        tags: TAGS,
        summary: "Disable or enable an OAuth client",
      },
    })
    .input(setDisabledInput)
    .output(oauthClientSchema)
    .mutation(({ ctx, input }) => setClientDisabled(serviceContext(ctx), input.id, input.disabled)),

  delete: adminProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/admin/oauth-clients/{id}",
        tags: TAGS,
        summary: "Delete an OAuth client with its grants and tokens",
      },
    })
    .input(clientIdInput)
    .output(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      await requireStepUp(ctx); // deleting an OAuth client (server/auth/step-up.ts)
      return deleteClient(serviceContext(ctx), input.id);
    }),

  /** Who has authorised the client, with which scopes: its live grants, newest first. */
  grants: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/oauth-clients/{id}/grants",
        tags: TAGS,
        summary: "A client's live grants, newest first",
      },
    })
    .input(z.strictObject({ ...clientIdInput.shape, ...listPageFields }))
    .output(pageSchema(oauthGrantSchema))
    .query(async ({ ctx, input: { id, ...page } }) =>
      pageOf(await listClientGrants(ctx.db, id, ctx.clock.now()), page, {
        key: (g) => g.createdAt,
        id: (g) => g.id,
        direction: "desc",
      }),
    ),

  revokeGrant: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/admin/oauth-grants/{grantId}/revoke",
        tags: TAGS,
        summary: "Revoke one grant and its tokens",
      },
    })
    .input(revokeGrantInput)
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => revokeGrant(serviceContext(ctx), input.grantId)),

  /** The public halves only: what the JWKS publishes, without the key material. */
  signingKeys: adminProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/admin/oauth-signing-keys",
        tags: TAGS,
        summary: "The JWT signing keys (public facts only)",
        description:
          "Every key still published, newest first, in one page: a handful at most (one active per algorithm, and retired ones until their tokens expire).",
      },
    })
    .input(z.strictObject({}).optional())
    .output(pageSchema(signingKeySchema))
    .query(async ({ ctx }) => ({
      items: (await listSigningKeys(ctx.db, ctx.clock.now())).map((key) => ({
        kid: key.kid,
        alg: key.alg,
        createdAt: key.createdAt.toISOString(),
        retiredAt: iso(key.retiredAt),
        removeAfter: iso(key.removeAfter),
      })),
      nextCursor: null,
    })),

  /**
   * New signing keys now (e.g. after a suspected leak of an old one): of
   * every algorithm, or of `alg` only. An old key keeps verifying the tokens
   * it signed until they have expired; other processes pick the new key up
   * on their next key reload.
   */
  rotateSigningKey: adminProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/admin/oauth-signing-keys/rotate",
        tags: TAGS,
        summary: "Start signing with a new key now",
        description:
          "Retires the current signing key (of one algorithm, or of each) and makes a new one. This instance signs with the new key from its next token on; every other instance within 30 seconds. Tokens the retired key signed stay valid until they expire: the key stays published in the JWKS that long.",
      },
    })
    .input(rotateSigningKeyInput)
    .output(signingKeyRotationSchema)
    .mutation(async ({ ctx, input }) => {
      await requireStepUp(ctx); // rotating keys (server/auth/step-up.ts)
      const svc = serviceContext(ctx);
      const rotations = await rotateSigningKeys(ctx.db, {
        clock: ctx.clock,
        keyring: requireKeyring(svc),
        actor: svc.actor,
        client: svc.client,
        force: true,
        algs: input.alg ? [input.alg] : undefined,
      });
      return { rotated: rotations.map(({ alg, kid, retired }) => ({ alg, kid, retired })) };
    }),
});
