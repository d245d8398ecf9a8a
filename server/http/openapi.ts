import { generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";
import { SCOPES } from "../auth/scopes";
import { requestIdOf } from "../context";
import { OAUTH_PATHS } from "../oauth/metadata";
import { appRouter } from "../root";
import type { Runtime } from "../runtime";
import type { Meta } from "../trpc";
import { JSON_CONTENT_TYPE, withApiHeaders } from "./api-headers";
import { REST_ENDPOINT } from "./rest-handler";

export const BEARER_SCHEME = "bearer";

type SchemaObject = NonNullable<NonNullable<OpenAPIObject["components"]>["schemas"]>[string];

const problemSchema: SchemaObject = {
  type: "object",
  description: "RFC 9457 problem details",
  properties: {
    type: { type: "string", description: "about:blank or urn:gatehouse:problem:<reason>" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    instance: { type: "string", description: "urn:gatehouse:request:<request id>" },
    errors: {
      type: "array",
      items: {
        type: "object",
        properties: { path: { type: "string" }, message: { type: "string" } },
        required: ["path", "message"],
      },
    },
  },
  required: ["type", "title", "status"],
};

/**
 * The OpenAPI 3.1 document of the REST bridge. trpc-to-openapi lists an empty
 * scope set for every protected operation; the scopes each procedure declares
 * in its meta are filled in here, from the same declaration the runtime check
 * reads, and every error is documented as problem+json.
 */
const OAUTH_SCHEME = "oauth2";

export function buildOpenApiDocument(baseUrl: string): OpenAPIObject {
  const doc = generateOpenApiDocument(appRouter, {
    title: "Gatehouse API",
    description: [
      "Authenticate with `Authorization: Bearer <credential>`. Errors are `application/problem+json` (RFC 9457).",
      "",
      "Scopes:",
      ...Object.entries(SCOPES).map(([scope, text]) => `- \`${scope}\`: ${text}`),
    ].join("\n"),
    version: "1.0.0",
    baseUrl: `${baseUrl}${REST_ENDPOINT}`,
    securitySchemes: {
      [BEARER_SCHEME]: { type: "http", scheme: "bearer", description: "API token or OAuth 2.0 access token" },
      [OAUTH_SCHEME]: {
        type: "oauth2",
        description: "OAuth 2.0 access tokens (JWT, RFC 9068), sent as `Authorization: Bearer`",
        flows: {
          authorizationCode: {
            authorizationUrl: `${baseUrl}${OAUTH_PATHS.authorize}`,
            tokenUrl: `${baseUrl}${OAUTH_PATHS.token}`,
            refreshUrl: `${baseUrl}${OAUTH_PATHS.token}`,
            scopes: { ...SCOPES },
          },
          clientCredentials: { tokenUrl: `${baseUrl}${OAUTH_PATHS.token}`, scopes: { ...SCOPES } },
        },
      },
    },
  });

  const scopesByOperation = new Map<string, string[]>();
  for (const procedure of Object.values(appRouter._def.procedures)) {
    const meta = (procedure as unknown as { _def: { meta?: Meta } })._def.meta;
    if (meta?.openapi)
      scopesByOperation.set(`${meta.openapi.method.toLowerCase()} ${meta.openapi.path}`, meta.scopes ?? []);
  }

  doc.components ??= {};
  doc.components.schemas = { ...doc.components.schemas, Problem: problemSchema };
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item as Record<string, Record<string, unknown>>)) {
      const scopes = scopesByOperation.get(`${method} ${path}`);
      if (!scopes || typeof operation !== "object" || !operation) continue;
      if (operation.security) operation.security = [{ [BEARER_SCHEME]: scopes }, { [OAUTH_SCHEME]: scopes }];
      const responses = (operation.responses ?? {}) as Record<string, { description?: string; content?: unknown }>;
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400) {
          response.content = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };
        }
      }
    }
  }
  return doc;
}

let cached: { baseUrl: string; body: string } | undefined;

export function handleOpenApiDocument(req: Request, runtime: Runtime): Response {
  const baseUrl = runtime.config.appUrl.origin;
  if (cached?.baseUrl !== baseUrl) cached = { baseUrl, body: JSON.stringify(buildOpenApiDocument(baseUrl)) };
  return withApiHeaders(
    new Response(cached.body, { headers: { "content-type": JSON_CONTENT_TYPE } }),
    requestIdOf(req.headers),
  );
}
