import { z } from "zod";
import { accountEmail } from "../../auth/account-email";
import { isScope } from "../../auth/scopes";
import { parseDuration } from "../../config/duration";
import { AppError } from "../../errors";
import { idPattern } from "../../ids";
import { createTokenInput } from "../../routers/tokens/schemas";
import { getRuntime } from "../../runtime";
import { createToken, listTokens, revokeAllForUser, revokeToken, type TokenSummary } from "../../services/tokens";
import { findUserByEmail } from "../../services/users";
import { table } from "../output";
import { defineCommand } from "../registry";

/**
 * `token …` and `user revoke-all`: the same services as the dashboard's token
 * pages, so the same rules hold (scopes within the owner's role, the
 * installation's expiry policy) and every action is audited as actor `cli`.
 */

const email = accountEmail;
const emailFlag = {
  type: "string",
  schema: email,
  placeholder: "E",
  description: "the owner's email address",
} as const;

const scopes = z
  .string()
  .transform((v) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .refine((list) => list.length > 0, "give at least one scope")
  .refine((list) => list.every(isScope), "unknown scope (see `help`: contacts:read, contacts:write, …)")
  // Then the tokens.create procedure's own rule (how many, which).
  .pipe(createTokenInput.shape.scopes);

/** "30d", "12h", or "never". */
const expiresIn = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return undefined;
    if (v === "never") return null;
    const ms = parseDuration(v);
    if (ms === null || ms < 60_000) {
      ctx.addIssue({ code: "custom", message: "must be a duration like 30d or 12h, or never" });
      return z.NEVER;
    }
    return ms;
  });

async function ownerId(address: string): Promise<string> {
  const services = getRuntime();
  const row = await findUserByEmail(services.db, address);
  if (!row) throw new AppError("NOT_FOUND", "No user with this email", "user_not_found");
  return row.id;
}

defineCommand({
  path: ["token", "create"],
  summary: "Create an API token for a user and print it (shown this once; only its hash is kept).",
  flags: {
    email: emailFlag,
    name: {
      type: "string",
      schema: createTokenInput.shape.name,
      placeholder: "N",
      description: "what will use it",
    },
    scopes: { type: "string", schema: scopes, placeholder: "S1,S2", description: "comma-separated scopes" },
    "expires-in": {
      type: "string",
      schema: expiresIn,
      placeholder: "30d",
      description: "lifetime (default: TOKEN_DEFAULT_TTL); `never` only where TOKEN_ALLOW_NO_EXPIRY is on",
    },
  },
  async run(ctx, input) {
    const svc = await ctx.services();
    const created = await createToken(
      svc,
      await ownerId(input.email),
      { name: input.name, scopes: input.scopes, expiresInMs: input["expires-in"] },
      { policy: getRuntime().config.tokens },
    );
    return {
      json: { id: created.id, token: created.token, scopes: created.scopes, expiresAt: created.expiresAt },
      text: `${created.token}\n\nToken ${created.id} for ${created.owner.email} (${created.scopes.join(" ")}), expires ${created.expiresAt ?? "never"}. It is not shown again.`,
    };
  },
});

defineCommand({
  path: ["token", "list"],
  summary: "List API tokens (all, or one user's with --email), newest first; never the secrets.",
  flags: { email: { ...emailFlag, schema: email.optional(), description: "only this user's tokens" } },
  async run(ctx, input) {
    const svc = await ctx.services();
    const tokens: TokenSummary[] = [];
    let total = 0;
    do {
      const page = await listTokens(svc, { ownerEmail: input.email, offset: tokens.length, limit: 100 });
      tokens.push(...page.items);
      total = page.total;
      if (page.items.length === 0) break;
    } while (tokens.length < total);
    const text = table(
      tokens,
      [
        { header: "ID", value: (t) => t.id },
        { header: "OWNER", value: (t) => t.owner.email },
        { header: "NAME", value: (t) => t.name },
        { header: "TOKEN", value: (t) => t.display },
        { header: "SCOPES", value: (t) => t.scopes.join(",") },
        { header: "STATUS", value: (t) => t.status },
        { header: "EXPIRES", value: (t) => t.graceUntil ?? t.expiresAt ?? "never" },
        { header: "LAST USED", value: (t) => t.lastUsedAt ?? "" },
      ],
      "No tokens found.",
    );
    return { json: { tokens, total }, text };
  },
});

defineCommand({
  path: ["token", "revoke"],
  summary: "Revoke an API token by id; it stops working on the next request.",
  flags: {
    id: {
      type: "string",
      schema: z.string().regex(idPattern("token"), "must be a token id (tok_…)"),
      placeholder: "ID",
      description: "the token's id",
      positional: true,
    },
  },
  async run(ctx, input) {
    const token = await revokeToken(await ctx.services(), input.id);
    return {
      json: { token },
      text: `Revoked token ${token.id} (${token.name}) of ${token.owner.email}.`,
    };
  },
});

defineCommand({
  path: ["user", "revoke-all"],
  summary: "End every session and revoke every API token of a user, at once (one transaction).",
  flags: { email: emailFlag },
  async run(ctx, input) {
    const result = await revokeAllForUser(await ctx.services(), await ownerId(input.email));
    return {
      json: result,
      text: `Ended ${result.sessionsEnded} session(s), revoked ${result.tokensRevoked} token(s) and ${result.oauthGrantsRevoked} OAuth authorization(s) of ${input.email}.`,
    };
  },
});
