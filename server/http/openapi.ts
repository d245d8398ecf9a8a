import { generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";
import { SCOPES } from "../auth/scopes";
import { REQUEST_ID_PATTERN, requestIdOf } from "../context";
import { ID_PREFIXES, type IdKind, idPattern } from "../ids";
import { OAUTH_PATHS } from "../oauth/metadata";
import { MAX_ACCESS_TOKEN_TTL_S } from "../oauth/signing-keys";
import { appRouter } from "../root";
import type { Runtime } from "../runtime";
import type { Meta } from "../trpc";
import { JSON_CONTENT_TYPE, withApiHeaders } from "./api-headers";
import { QUOTA_EXCEEDED_TYPE } from "./rate-limit-headers";
import { REST_ENDPOINT, STREAMED } from "./rest-handler";

/**
 * The OpenAPI 3.1 document of the REST bridge. trpc-to-openapi generates the
 * paths, parameters, request bodies and success schemas from the very zod
 * schemas the procedures parse with (so every maximum and pattern is the
 * server's); everything it cannot know is written here from the procedures'
 * meta and the REST door's facts, generically, so a new procedure comes out
 * right without an edit to this file:
 *
 * - the scopes of each operation (meta.scopes, the declaration the runtime check reads);
 * - the success status: 201 with `Location` for `meta.created`, 204 without a body
 *   for DELETE, 200 otherwise;
 * - the error statuses each operation can answer (`errorStatuses` below says from
 *   which facts), each with the problem+json body the door sends (`Problem`) and
 *   the headers it sends (`RateLimit`, `RateLimit-Policy`, `Retry-After`,
 *   `X-Request-Id`, `WWW-Authenticate`);
 * - nothing of the generator's own error shapes (`error.BAD_REQUEST` …), which the
 *   server never sends.
 */

export const BEARER_SCHEME = "bearer";
const OAUTH_SCHEME = "oauth2";

type Json = Record<string, unknown>;
type SchemaObject = NonNullable<NonNullable<OpenAPIObject["components"]>["schemas"]>[string];

// ---------------------------------------------------------------- what the door sends

/** The longest issue path or message (server/trpc.ts cuts them at 120 characters and adds "…"). */
const ISSUE_TEXT_MAX = 121;
/** At most 20 issues and one "and N more" line (server/trpc.ts). */
const ISSUES_MAX = 21;

const problemSchema: SchemaObject = {
  type: "object",
  description:
    "RFC 9457 problem details, as every error of the REST door is sent (`application/problem+json`). Branch on `type`.",
  properties: {
    type: {
      type: "string",
      description: `\`urn:gatehouse:problem:<reason>\` for Gatehouse's own reasons (e.g. \`invalid_input\`, \`insufficient_scope\`, \`not_found\`), \`${QUOTA_EXCEEDED_TYPE}\` for a 429, \`about:blank\` when no more is known than the status`,
      maxLength: 100,
      pattern: `^(about:blank|urn:gatehouse:problem:[a-z][a-z0-9_]*|${QUOTA_EXCEEDED_TYPE.replace(/[.?]/g, "\\$&")})$`,
    },
    title: { type: "string", description: "The status's name", maxLength: 100 },
    status: { type: "integer", format: "int32", minimum: 400, maximum: 599 },
    detail: { type: "string", description: "What went wrong, for a person" },
    instance: {
      type: "string",
      description: "The request id (also in `X-Request-Id`), to quote when reporting a problem",
      pattern: `^urn:gatehouse:request:${REQUEST_ID_PATTERN.source.slice(1, -1)}$`,
    },
    errors: {
      type: "array",
      description: "On `invalid_input`: each offending field",
      maxItems: ISSUES_MAX,
      items: {
        type: "object",
        properties: {
          path: {
            type: "string",
            maxLength: ISSUE_TEXT_MAX,
            description: "The field, dotted (`scopes.0`); `(body)` for the input as a whole",
          },
          message: { type: "string", maxLength: ISSUE_TEXT_MAX },
        },
        required: ["path", "message"],
        additionalProperties: false,
      },
    },
    scopes: {
      type: "array",
      description: "On `insufficient_scope`: the scopes the operation requires",
      maxItems: Object.keys(SCOPES).length,
      items: { type: "string", enum: Object.keys(SCOPES) },
    },
    "violated-policies": {
      type: "array",
      description: "On a 429: the rate-limit policies the call exceeded (as named in `RateLimit-Policy`)",
      maxItems: 10,
      items: { type: "string", maxLength: 64 },
    },
    retryAfterSeconds: {
      type: "integer",
      format: "int32",
      minimum: 0,
      maximum: 7 * 86_400,
      description: "On a 429 or 503: the same seconds as `Retry-After`",
    },
  },
  required: ["type", "title", "status"],
  additionalProperties: false,
};

const header = (description: string, schema: Json, example?: string | number) => ({
  description,
  schema,
  ...(example !== undefined ? { example } : {}),
});

/** A Structured Field List (RFC 8941) of policies, each an sf-string with two integer parameters (rate-limit-headers.ts). */
function sfList(first: string, second: string): string {
  const item = `"[^"\\\\]*";${first}=\\d+;${second}=\\d+`;
  return `^${item}(, ${item})*$`;
}

/** Response headers, by the name they are sent with. */
const HEADERS: Record<string, Json> = {
  "X-Request-Id": header(
    "The request's id: the caller's own `X-Request-Id` when it is well-formed, otherwise one made by the server. Also in every log line and audit entry of the request.",
    { type: "string", pattern: REQUEST_ID_PATTERN.source },
    "req_0123456789abcdefghij",
  ),
  RateLimit: header(
    "draft-ietf-httpapi-ratelimit-headers: per policy that applied, the units remaining (`r`) and the seconds until its window resets (`t`), as a Structured Field List. Sent whenever the rate-limit step ran for the request (not when the limiter's store was down and the call was let through).",
    { type: "string", maxLength: 1000, pattern: sfList("r", "t") },
    '"api";r=599;t=60',
  ),
  "RateLimit-Policy": header(
    "draft-ietf-httpapi-ratelimit-headers: per policy that applied, its quota (`q`) and window in seconds (`w`), as a Structured Field List. Sent with `RateLimit`.",
    { type: "string", maxLength: 1000, pattern: sfList("q", "w") },
    '"api";q=600;w=60',
  ),
  "Retry-After": header(
    "Whole seconds to wait before trying again (RFC 9110 §10.2.3)",
    { type: "integer", format: "int32", minimum: 0, maximum: 7 * 86_400 },
    30,
  ),
  "WWW-Authenticate": header(
    'The Bearer challenge (RFC 6750 §3): `Bearer realm="gatehouse"`, with `error="invalid_token"` for a credential that is not a live token, `error="invalid_request"` for a malformed Authorization header, `error="insufficient_scope"` and `scope` for a credential without the scope.',
    {
      type: "string",
      maxLength: 200,
      pattern:
        '^Bearer realm="gatehouse"(, error="(invalid_request|invalid_token|insufficient_scope)"(, scope="[^"]*")?)?$',
    },
    'Bearer realm="gatehouse", error="insufficient_scope", scope="contacts:read"',
  ),
  "Access-Control-Allow-Origin": header(
    "CORS: sent only when the request's `Origin` is on the server's allow-list (Admin → CORS origins); the answer varies on `Origin`",
    { type: "string", format: "uri", maxLength: 200 },
    "https://app.example.com",
  ),
  "Access-Control-Expose-Headers": header(
    "CORS: with `Access-Control-Allow-Origin`, the response headers a browser script may read (the rate-limit fields, `Retry-After`, `X-Request-Id`, `Location` …)",
    { type: "string", maxLength: 500 },
  ),
  "Content-Disposition": header(
    "A streamed file: `attachment` and its file name",
    { type: "string", maxLength: 200 },
    'attachment; filename="gatehouse-audit-2026-01-15.csv"',
  ),
  Location: header(
    "The created resource: an absolute path under /api/v1 (resolve it against the URL you called); GET it to read what was created",
    { type: "string", pattern: `^${REST_ENDPOINT}/[^\\s?#]+$`, maxLength: 200 },
    "/api/v1/contacts/con_0123456789abcdefghij",
  ),
};

/** The response headers the document describes. */
export const DOCUMENTED_HEADERS = Object.keys(HEADERS);

type HeaderUse = "required" | "optional";

/** Every answer of the API door (api-guard.ts): the request id, and CORS for an allowed origin. */
const EVERY_ANSWER = {
  "X-Request-Id": "required",
  "Access-Control-Allow-Origin": "optional",
  "Access-Control-Expose-Headers": "optional",
} as const;

/**
 * How each header is usually sent; these are the header components every answer refers to. A use
 * that differs (RateLimit on a 429 is always there) is written out in place, since a reference
 * cannot change `required`.
 */
const USUAL_USE: Record<string, HeaderUse> = {
  "X-Request-Id": "required",
  "Access-Control-Allow-Origin": "optional",
  "Access-Control-Expose-Headers": "optional",
  RateLimit: "optional",
  "RateLimit-Policy": "optional",
  Location: "required",
  "Content-Disposition": "required",
};

/** The response headers of an answer, each said to be always sent (`required`) or only in some cases. */
function headersOf(uses: Record<string, HeaderUse>): Json {
  const out: Json = {};
  for (const [name, use] of Object.entries({ ...EVERY_ANSWER, ...uses })) {
    out[name] =
      USUAL_USE[name] === use
        ? { $ref: `#/components/headers/${name}` }
        : { ...HEADERS[name], required: use === "required" };
  }
  return out;
}

/** RateLimit fields: on every answer the rate-limit step saw (the chain's first step, before authentication). */
const RATE_LIMITED = { RateLimit: "optional", "RateLimit-Policy": "optional" } as const;

const problemContent = (examples: Record<string, Json>) => ({
  "application/problem+json": {
    schema: { $ref: "#/components/schemas/Problem" },
    examples: Object.fromEntries(Object.entries(examples).map(([name, value]) => [name, { value }])),
  },
});

const example = (status: number, title: string, reason: string, detail: string, extra: Json = {}) => ({
  type: reason.includes(":") ? reason : `urn:gatehouse:problem:${reason}`,
  title,
  status,
  detail,
  instance: "urn:gatehouse:request:req_0123456789abcdefghij",
  ...extra,
});

/**
 * The error answers, one component per status. Which headers each carries is
 * what the door sends (rest-handler.ts, www-authenticate.ts, rate-limit-headers.ts):
 * 413 and 415 are answered before the procedure chain, so no rate-limit step ran.
 */
const ERROR_RESPONSES: Record<number, { name: string; response: Json }> = {
  400: {
    name: "BadRequest",
    response: {
      description:
        "The input is invalid (`invalid_input`, each offending field in `errors`; nothing was changed), the body is not valid JSON (`malformed_json`), or the Authorization header is malformed or a credential is in the URL (`invalid_request`, with a Bearer challenge)",
      headers: headersOf({ "X-Request-Id": "required", ...RATE_LIMITED, "WWW-Authenticate": "optional" }),
      content: problemContent({
        invalid_input: example(400, "Bad request", "invalid_input", "name: must not be empty", {
          errors: [{ path: "name", message: "must not be empty" }],
        }),
        malformed_json: example(400, "Bad request", "malformed_json", "The request body is not valid JSON"),
      }),
    },
  },
  401: {
    name: "Unauthorized",
    response: {
      description:
        "No credential (`missing_credentials`), or one that is not a live token (`invalid_token`): expired, revoked or unknown",
      headers: headersOf({ "X-Request-Id": "required", ...RATE_LIMITED, "WWW-Authenticate": "required" }),
      content: problemContent({
        missing_credentials: example(401, "Unauthorized", "missing_credentials", "Authentication required"),
      }),
    },
  },
  403: {
    name: "Forbidden",
    response: {
      description:
        "The credential lacks the operation's scope (`insufficient_scope`, with `scopes` and a Bearer challenge), its owner's role does not allow it (`admin_required`), the owner must first replace a one-time password (`password_change_required`), or the request came over plain HTTP where HTTPS is required (`https_required`)",
      headers: headersOf({ "X-Request-Id": "required", ...RATE_LIMITED, "WWW-Authenticate": "optional" }),
      content: problemContent({
        insufficient_scope: example(403, "Forbidden", "insufficient_scope", "This requires the scope contacts:read", {
          scopes: ["contacts:read"],
        }),
      }),
    },
  },
  404: {
    name: "NotFound",
    response: {
      description: "No such record of yours (another user's record is not found either, never forbidden)",
      headers: headersOf({ "X-Request-Id": "required", ...RATE_LIMITED }),
      content: problemContent({
        not_found: { type: "about:blank", title: "Not found", status: 404, detail: "Contact not found" },
      }),
    },
  },
  409: {
    name: "Conflict",
    response: {
      description: "The request conflicts with the record's current state; `type` names the reason",
      headers: headersOf({ "X-Request-Id": "required", ...RATE_LIMITED }),
      content: problemContent({
        conflict: example(409, "Conflict", "already_rotated", "This token was already rotated; rotate its replacement"),
      }),
    },
  },
  413: {
    name: "PayloadTooLarge",
    response: {
      description: "The body is larger than the server accepts (MAX_BODY_BYTES); it was not read",
      headers: headersOf({ "X-Request-Id": "required" }),
      content: problemContent({
        body_too_large: example(
          413,
          "Payload too large",
          "body_too_large",
          "The request body is larger than 1048576 bytes",
        ),
      }),
    },
  },
  415: {
    name: "UnsupportedMediaType",
    response: {
      description: "A body that is not `application/json`",
      headers: headersOf({ "X-Request-Id": "required" }),
      content: problemContent({
        json_required: example(
          415,
          "Unsupported media type",
          "json_required",
          "Send the request body as application/json",
        ),
      }),
    },
  },
  429: {
    name: "TooManyRequests",
    response: {
      description:
        "A rate limit was exceeded: the policies in `violated-policies`, and when to retry in `Retry-After` (and `retryAfterSeconds`)",
      headers: headersOf({
        "X-Request-Id": "required",
        RateLimit: "required",
        "RateLimit-Policy": "required",
        "Retry-After": "required",
      }),
      content: problemContent({
        rate_limited: {
          ...example(
            429,
            "Request cannot be satisfied as assigned quota has been exceeded",
            QUOTA_EXCEEDED_TYPE,
            'Rate limit exceeded (policy "api": 600 per 60s); retry in 30s',
          ),
          "violated-policies": ["api"],
          retryAfterSeconds: 30,
        },
      }),
    },
  },
  500: {
    name: "InternalServerError",
    response: {
      description:
        "A stored value that did not open (`sealed_value_failed_authentication`, `sealed_value_key_missing`: the data or its key is damaged or missing), or an unexpected failure (`about:blank`, nothing internal in the body). Quote `instance` when reporting it.",
      headers: headersOf({ "X-Request-Id": "required", ...RATE_LIMITED }),
      content: problemContent({
        internal: { type: "about:blank", title: "Internal server error", status: 500, detail: "Internal server error" },
        sealed_value_failed_authentication: example(
          500,
          "Internal server error",
          "sealed_value_failed_authentication",
          "A stored value failed authentication: it was changed outside Gatehouse or its key is wrong",
        ),
      }),
    },
  },
  503: {
    name: "ServiceUnavailable",
    response: {
      description:
        "Passing unavailability, retry after `Retry-After`: the database cannot be used right now (`storage_unavailable`), or the rate limiter's store is down and this operation fails closed (`rate_limit_unavailable`)",
      headers: headersOf({ "X-Request-Id": "required", ...RATE_LIMITED, "Retry-After": "required" }),
      content: problemContent({
        rate_limit_unavailable: example(
          503,
          "Service unavailable",
          "rate_limit_unavailable",
          "Rate limiting is unavailable, so this operation is refused for now; retry shortly",
          { retryAfterSeconds: 5 },
        ),
      }),
    },
  },
};

export const ERROR_STATUSES = Object.keys(ERROR_RESPONSES).map(Number);

// ---------------------------------------------------------------- facts of each operation

/** What the document needs to know of one REST operation, read from its procedure. */
export interface RestOperation {
  procedure: string;
  method: string;
  path: string;
  meta: Meta;
}

export function restOperations(): RestOperation[] {
  const out: RestOperation[] = [];
  for (const [procedure, def] of Object.entries(appRouter._def.procedures)) {
    const meta = (def as unknown as { _def: { meta?: Meta } })._def.meta;
    if (!meta?.openapi) continue;
    out.push({ procedure, method: meta.openapi.method.toLowerCase(), path: meta.openapi.path, meta });
  }
  return out;
}

const takesBody = (method: string) => ["post", "put", "patch"].includes(method);
const pathParameters = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);

/** The success status the REST door answers with (rest-handler.ts). */
export function successStatus(op: Pick<RestOperation, "method" | "meta">): 200 | 201 | 204 {
  if (op.method === "delete") return 204;
  return op.meta.created ? 201 : 200;
}

/**
 * The error statuses an operation can answer, from facts:
 * - 400 always: every operation parses an input (unknown query parameters included),
 *   and a malformed Authorization header is refused before anything else;
 * - 401 and 403 when the operation is protected (every procedure built on
 *   protectedProcedure: authentication, then scope and role);
 * - 404 when the path names a record (`{id}`), or the procedure declares it
 *   (`meta.openapi.errorResponses`, for a record named in the body);
 * - 409 only where the procedure declares it: whether a conflict can happen
 *   (a unique name, a state that forbids the change) is the service's fact;
 * - 413 and 415 when the method takes a body (POST, PUT, PATCH): the door caps
 *   and type-checks it; GET and DELETE bodies are never read;
 * - 429 and 503 always: the rate-limit step is the first of every procedure, and
 *   every operation uses the database (a storage failure is a 503);
 * - 500 always: an unexpected failure, with a body that says nothing more.
 */
export function errorStatuses(op: Pick<RestOperation, "method" | "path" | "meta">): number[] {
  const declared = declaredErrors(op.meta);
  const statuses = new Set<number>([400, 429, 500, 503]);
  if (op.meta.openapi?.protect !== false) {
    statuses.add(401);
    statuses.add(403);
  }
  if (pathParameters(op.path).length > 0 || declared.has(404)) statuses.add(404);
  if (declared.has(409)) statuses.add(409);
  if (takesBody(op.method)) {
    statuses.add(413);
    statuses.add(415);
  }
  return [...statuses].sort((a, b) => a - b);
}

function declaredErrors(meta: Meta): Map<number, string | undefined> {
  const declared = meta.openapi?.errorResponses;
  if (!declared) return new Map();
  if (Array.isArray(declared)) return new Map(declared.map((status) => [Number(status), undefined]));
  return new Map(Object.entries(declared).map(([status, text]) => [Number(status), text]));
}

// ---------------------------------------------------------------- the document

const SUCCESS_DESCRIPTION = { 200: "OK", 201: "Created", 204: "Done; no content" } as const;

function successResponse(op: RestOperation, generated: Json | undefined): Json {
  const status = successStatus(op);
  const headers = headersOf({
    "X-Request-Id": "required",
    ...RATE_LIMITED,
    ...(status === 201 ? { Location: "required" } : {}),
  });
  const description = op.meta.openapi?.successDescription ?? SUCCESS_DESCRIPTION[status];
  if (status === 204) return { description, headers };
  // A streamed answer (rest-handler.ts STREAMED) is a file in one of its media types, not the procedure's JSON.
  const streamed = STREAMED[op.procedure];
  if (streamed) {
    return {
      description: `${description}: the file, streamed`,
      headers: { ...headers, ...headersOf({ "Content-Disposition": "required" }) },
      content: Object.fromEntries(
        streamed.contentTypes.map((type) => [
          type.split(";")[0]?.trim(),
          { schema: { type: "string", description: `The file (${type})` } },
        ]),
      ),
    };
  }
  return { description, headers, content: (generated as { content?: Json } | undefined)?.content };
}

/** The operation's own description (or its summary), then what the meta says: scopes, 201, 204. */
function describeOperation(op: RestOperation, own: string | undefined): string {
  const scopes = op.meta.scopes ?? [];
  const summary = op.meta.openapi?.summary;
  const lines = [
    own ?? (summary ? `${summary}.` : ""),
    scopes.length > 0
      ? `Needs an API token or OAuth 2.0 access token with the scope${scopes.length > 1 ? "s" : ""} ${scopes.map((s) => `\`${s}\``).join(", ")}.`
      : "",
    op.meta.created ? `Answers 201 with \`Location\`: the created resource (${op.meta.created.location}).` : "",
    op.method === "delete" ? "Answers 204 with no body." : "",
  ];
  return lines.filter(Boolean).join("\n\n");
}

/** Every `$ref` under a value. */
function refsIn(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, into);
  else if (value && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      if (key === "$ref" && typeof v === "string") into.add(v);
      else refsIn(v, into);
    }
  }
  return into;
}

const INT32 = 2 ** 31;

/** Integers say whether they fit 32 bits (OWASP API4): int32 when their bounds do, int64 otherwise. */
function addIntegerFormats(value: unknown): void {
  if (Array.isArray(value)) {
    for (const v of value) addIntegerFormats(v);
    return;
  }
  if (!value || typeof value !== "object") return;
  const schema = value as Json;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes("integer") && schema.format === undefined) {
    const min = typeof schema.minimum === "number" ? schema.minimum : -Infinity;
    const max = typeof schema.maximum === "number" ? schema.maximum : Infinity;
    schema.format = min >= -INT32 && max < INT32 ? "int32" : "int64";
  }
  for (const v of Object.values(schema)) addIntegerFormats(v);
}

/** The length every id of a kind has: what its pattern (ids.ts idPattern, in the input schemas) implies. */
const ID_LENGTHS = new Map(
  (Object.keys(ID_PREFIXES) as IdKind[]).map((kind) => [idPattern(kind).source, idLength(kind)]),
);

/** A prefix, "_" and 20 base36 characters (ids.ts newId). */
function idLength(kind: IdKind): number {
  return `${ID_PREFIXES[kind]}_`.length + 20;
}

/**
 * A string whose pattern is one of the id patterns says the length the pattern already enforces
 * (minLength = maxLength), so a reader or a linter sees the bound without reading the regex.
 */
function addIdLengths(value: unknown): void {
  if (Array.isArray(value)) {
    for (const v of value) addIdLengths(v);
    return;
  }
  if (!value || typeof value !== "object") return;
  const schema = value as Json;
  const length = typeof schema.pattern === "string" ? ID_LENGTHS.get(schema.pattern) : undefined;
  if (length !== undefined && schema.type === "string") {
    schema.minLength ??= length;
    schema.maxLength ??= length;
  }
  for (const v of Object.values(schema)) addIdLengths(v);
}

function serverDescription(baseUrl: string): string {
  return new URL(baseUrl).protocol === "https:"
    ? "This Gatehouse server (production: its APP_URL, HTTPS only)"
    : "This Gatehouse server over plain HTTP: local development only (APP_URL is not https)";
}

const TAG_DESCRIPTIONS: Record<string, string> = {
  contacts: "Your contacts: personal data, encrypted at rest",
  tokens: "Your API tokens and their rate limits",
};

export function buildOpenApiDocument(baseUrl: string): OpenAPIObject {
  const doc = generateOpenApiDocument(appRouter, {
    title: "Gatehouse API",
    description: [
      "Authenticate with `Authorization: Bearer <credential>`. Errors are `application/problem+json` (RFC 9457).",
      "Every answer carries `X-Request-Id`; rate-limited answers carry `RateLimit` and `RateLimit-Policy`, and a 429 `Retry-After`.",
      "",
      "Scopes:",
      ...Object.entries(SCOPES).map(([scope, text]) => `- \`${scope}\`: ${text}`),
    ].join("\n"),
    version: "1.0.0",
    baseUrl: `${baseUrl}${REST_ENDPOINT}`,
    securitySchemes: {
      [BEARER_SCHEME]: {
        type: "http",
        scheme: "bearer",
        description:
          "An API token (`gth_…`, made on the API tokens page or with POST /tokens) or an OAuth 2.0 access token",
      },
      [OAUTH_SCHEME]: {
        type: "oauth2",
        description: `OAuth 2.0 access tokens, sent as \`Authorization: Bearer\`: JWTs per RFC 9068, verified as RFC8725 (JWT best current practices) says: the algorithm is pinned to the ones the server signs with (never \`none\`), \`typ\` must be \`at+jwt\`, the key must be one the server published, and \`iss\`, \`aud\` and \`exp\` are checked. They live at most ${MAX_ACCESS_TOKEN_TTL_S / 60} minutes; the authorization-code flow renews them with a rotating refresh token.`,
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
  }) as OpenAPIObject & Json;

  doc.info.contact = { name: "The operators of this Gatehouse server", url: `${baseUrl}/api/docs` };
  doc.servers = [
    { url: `${baseUrl}${REST_ENDPOINT}`, description: serverDescription(baseUrl), "x-internal": false } as never,
  ];

  const byKey = new Map(restOperations().map((op) => [`${op.method} ${op.path}`, op]));
  const tags = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item as Record<string, Json>)) {
      const op = byKey.get(`${method} ${path}`);
      if (!op || !operation || typeof operation !== "object") continue;
      const scopes = op.meta.scopes ?? [];
      if (operation.security) operation.security = [{ [BEARER_SCHEME]: scopes }, { [OAUTH_SCHEME]: scopes }];
      operation.description = describeOperation(op, operation.description as string | undefined);
      for (const tag of (operation.tags as string[] | undefined) ?? []) tags.add(tag);
      operation.parameters = [
        ...((operation.parameters as Json[] | undefined) ?? []),
        { $ref: "#/components/parameters/RequestId" },
      ];

      const generated = operation.responses as Record<string, Json> | undefined;
      const declared = declaredErrors(op.meta);
      const responses: Json = { [successStatus(op)]: successResponse(op, generated?.["200"]) };
      for (const status of errorStatuses(op)) {
        const component = ERROR_RESPONSES[status];
        if (!component) continue;
        const text = declared.get(status);
        // A Reference Object may carry its own description (OpenAPI 3.1 §4.8.23): the procedure's words win.
        responses[status] = {
          $ref: `#/components/responses/${component.name}`,
          ...(text && (status === 404 || status === 409) ? { description: text } : {}),
        };
      }
      operation.responses = responses;
    }
  }
  doc.tags = [...tags].sort().map((name) => ({
    name,
    ...(TAG_DESCRIPTIONS[name] ? { description: TAG_DESCRIPTIONS[name] } : {}),
  }));

  doc.components ??= {};
  const components = doc.components as Json;
  components.headers = Object.fromEntries(
    Object.entries(USUAL_USE).map(([name, use]) => [name, { ...HEADERS[name], required: use === "required" }]),
  );
  components.responses = Object.fromEntries(
    Object.values(ERROR_RESPONSES).map(({ name, response }) => [name, response]),
  );
  components.parameters = {
    RequestId: {
      in: "header",
      name: "X-Request-Id",
      required: false,
      description:
        "Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed",
      schema: { type: "string", pattern: REQUEST_ID_PATTERN.source, maxLength: 64 },
    },
  };
  // The generator's own error schemas (`error.BAD_REQUEST` …) are never sent; only what is referenced stays.
  components.schemas = { ...(doc.components.schemas ?? {}), Problem: problemSchema };
  pruneComponents(doc);
  addIntegerFormats(doc.paths);
  addIntegerFormats(doc.components);
  addIdLengths(doc.paths);
  addIdLengths(doc.components);
  return doc;
}

/** Drops every component nothing refers to (transitively, from the paths). */
function pruneComponents(doc: OpenAPIObject): void {
  const components = doc.components as Record<string, Record<string, unknown>>;
  const reachable = new Set<string>();
  let frontier = refsIn(doc.paths);
  while (frontier.size > 0) {
    const next = new Set<string>();
    for (const ref of frontier) {
      if (reachable.has(ref)) continue;
      reachable.add(ref);
      const [, , kind, name] = ref.split("/");
      const target = kind && name ? components[kind]?.[name] : undefined;
      for (const inner of refsIn(target)) next.add(inner);
    }
    frontier = next;
  }
  for (const kind of ["schemas", "responses", "headers", "parameters"]) {
    const group = components[kind];
    if (!group) continue;
    for (const name of Object.keys(group)) {
      if (!reachable.has(`#/components/${kind}/${name}`)) delete group[name];
    }
  }
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
