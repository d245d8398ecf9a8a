import { z } from "zod";
import { AppError } from "../../errors";
import { CORS_NOTE_MAX, MAX_ORIGIN_LENGTH, parseOriginInput } from "../../security/cors";
import { addCorsOrigin, type CorsOriginSummary, listCorsOrigins, removeCorsOrigin } from "../../services/cors-origins";
import { table } from "../output";
import { defineCommand } from "../registry";

/**
 * `cors …` commands: the same allow-list and the same services as the
 * dashboard's "CORS origins" page (same origin rules and messages, same
 * audit entries, actor `cli`).
 */

const originArg = {
  type: "string",
  schema: z.string().max(MAX_ORIGIN_LENGTH + 50, `must be at most ${MAX_ORIGIN_LENGTH} characters`),
  placeholder: "ORIGIN",
  description: "scheme, host and optional port, e.g. https://app.example.com (no path, not even a trailing slash)",
  positional: true,
} as const;

function described(entry: CorsOriginSummary): string {
  return `${entry.origin} (${entry.allowCredentials ? "with credentials" : "without credentials"})`;
}

defineCommand({
  path: ["cors", "add"],
  summary: "Allow a web origin to call the API from a browser; --credentials also lets it send cookies.",
  flags: {
    origin: originArg,
    credentials: {
      type: "boolean",
      schema: z.boolean().default(false),
      description: "send Access-Control-Allow-Credentials and accept cookie-authenticated writes from it",
    },
    note: {
      type: "string",
      schema: z.string().trim().max(CORS_NOTE_MAX).optional(),
      placeholder: "N",
      description: "why it is allowed (shown in the dashboard)",
    },
    confirmWildcard: {
      type: "boolean",
      schema: z.boolean().default(false),
      description: "required to add * (every website, token calls only, never with credentials)",
    },
  },
  async run(ctx, input) {
    const entry = await addCorsOrigin(await ctx.services(), {
      origin: input.origin,
      note: input.note ?? null,
      allowCredentials: input.credentials,
      confirmWildcard: input.confirmWildcard,
    });
    return { json: { origin: entry }, text: `Added ${described(entry)}.` };
  },
});

defineCommand({
  path: ["cors", "remove"],
  summary: "Remove an origin from the allow-list; it is refused from the next request on.",
  flags: { origin: originArg },
  async run(ctx, input) {
    const parsed = parseOriginInput(input.origin);
    if (!parsed.ok) throw new AppError("BAD_REQUEST", parsed.reason, "invalid_origin");
    const entry = await removeCorsOrigin(await ctx.services(), { origin: parsed.origin });
    return { json: { origin: entry }, text: `Removed ${entry.origin}.` };
  },
});

defineCommand({
  path: ["cors", "list"],
  summary: "List the origins allowed to call the API from a browser.",
  flags: {},
  async run(ctx) {
    const origins = await listCorsOrigins((await ctx.services()).db);
    const text = table(
      origins,
      [
        { header: "ORIGIN", value: (o) => o.origin },
        { header: "CREDENTIALS", value: (o) => (o.allowCredentials ? "yes" : "no") },
        { header: "NOTE", value: (o) => o.note ?? "" },
        { header: "ADDED BY", value: (o) => o.createdBy ?? "" },
        { header: "CREATED", value: (o) => o.createdAt },
      ],
      "No origins allowed: only the application's own pages can call the API from a browser.",
    );
    return { json: { origins }, text };
  },
});
