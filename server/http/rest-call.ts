import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import {
  getInputOutputParsers,
  instanceofZodTypeKind,
  instanceofZodTypeLikeVoid,
  instanceofZodTypeObject,
  instanceofZodTypeOptional,
  unwrapZodType,
} from "trpc-to-openapi";
import type { Context } from "../context";
import { appRouter } from "../root";
import type { RestOperation } from "./route-label";

/**
 * The REST door's call of the procedure an operation names: the same
 * procedure, with the same middleware chain (rate limit, authentication,
 * scopes, role, zod input and output, audit) as on tRPC, called directly.
 *
 * Why not trpc-to-openapi's request handler, which the door used to go
 * through: the door has already matched the operation (route-label.ts),
 * read, capped and parsed the body, and worked out the caller; the handler
 * did all of that again per request (a URL parse, a regular expression per
 * operation, a caller proxy, a Request proxy and a Response copy), which was
 * about a tenth of a list-20's CPU. And it coerced by mutating the shared
 * input schemas (`_def.coerce = true` on every number and boolean), for the
 * JSON body too and, once a REST call had run, for the tRPC door as well:
 * `{"allowCredentials": "false"}` became `true`. Here only query strings are
 * converted, strictly, and the schemas stay as written. trpc-to-openapi still
 * generates the OpenAPI document, and its schema helpers below read the
 * input schemas the same way it does.
 */

export type ParsedBody = { ok: true; value: unknown } | { ok: false; cause: unknown } | null;

/** Parses the door's buffered body once; `null` when the operation takes none. */
export function parseJsonBody(bytes: Uint8Array): ParsedBody {
  try {
    return {
      ok: true,
      value: JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")),
    };
  } catch (cause) {
    return { ok: false, cause };
  }
}

type Coercion = "number" | "boolean" | "bigint" | "date";
interface QueryField {
  /** A list in the schema: a single value is made a list of one. */
  list: boolean;
  /** What a query string becomes before the schema judges it (none: it stays a string). */
  coerce: Coercion | null;
}

interface CallPlan {
  call: (opts: {
    path: string;
    getRawInput: () => Promise<unknown>;
    ctx: Context;
    type: "query" | "mutation";
    signal: AbortSignal | undefined;
    batchIndex: number;
  }) => Promise<unknown>;
  type: "query" | "mutation";
  /** False for `z.void()` (or alike): the procedure gets no input at all. */
  takesInput: boolean;
  /** The input object's fields, for query strings (empty when the input is not an object). */
  queryFields: Map<string, QueryField>;
  /** `{name}` segments of the path template, in order. */
  pathParams: string[];
}

const plans = new Map<string, CallPlan>();

function coercionOf(schema: unknown): Coercion | null {
  const inner = unwrapZodType(schema as never, false);
  for (const kind of ["number", "boolean", "bigint", "date"] as const) {
    if (instanceofZodTypeKind(inner, kind)) return kind;
  }
  return null;
}

function planOf(operation: RestOperation): CallPlan {
  let plan = plans.get(operation.procedure);
  if (plan) return plan;
  // A procedure of the router is a function of the call options (what tRPC's own caller invokes).
  const procedure = (appRouter._def.procedures as unknown as Record<string, CallPlan["call"] | undefined>)[
    operation.procedure
  ];
  if (!procedure) throw new Error(`no procedure ${operation.procedure}`);
  const def = (procedure as unknown as { _def: { type: "query" | "mutation"; meta?: { openapi?: { path: string } } } })
    ._def;
  const input = unwrapZodType(getInputOutputParsers(procedure as never).inputParser as never, true);
  const queryFields = new Map<string, QueryField>();
  if (instanceofZodTypeObject(input)) {
    for (const [key, shape] of Object.entries((input as unknown as { shape: Record<string, unknown> }).shape)) {
      const list =
        instanceofZodTypeKind(shape as never, "array") ||
        (instanceofZodTypeOptional(shape as never) &&
          instanceofZodTypeKind((shape as { unwrap(): never }).unwrap(), "array"));
      queryFields.set(key, { list, coerce: coercionOf(shape) });
    }
  }
  plan = {
    call: procedure,
    type: def.type,
    takesInput: !instanceofZodTypeLikeVoid(input),
    queryFields,
    pathParams: [...(def.meta?.openapi?.path ?? "").matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string),
  };
  plans.set(operation.procedure, plan);
  return plan;
}

/**
 * A query string as the schema should see it: a number only from a decimal
 * numeral (not `0x10`, `1e3`, an empty string or spaces, which `Number()`
 * and so zod's coercion would take), a boolean only from `true` or `false`
 * (zod's `Boolean("false")` is `true`); anything else stays the string it
 * was, for the schema to refuse by name.
 */
const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

function coerceQueryValue(value: string, to: Coercion | null): unknown {
  switch (to) {
    case "number":
      return DECIMAL.test(value) ? Number(value) : value;
    case "boolean":
      return value === "true" ? true : value === "false" ? false : value;
    case "bigint":
      return /^-?\d+$/.test(value) ? BigInt(value) : value;
    case "date":
      return Number.isNaN(Date.parse(value)) ? value : new Date(value);
    default:
      return value;
  }
}

/** The input from the query: a repeated name is a list, a list field always is one, values converted per field. */
function queryInput(url: URL, fields: Map<string, QueryField>): Record<string, unknown> {
  const collected = new Map<string, string[]>();
  for (const [key, value] of url.searchParams) {
    const values = collected.get(key);
    if (values) values.push(value);
    else collected.set(key, [value]);
  }
  // No prototype: a name like `__proto__` is one more unknown key for the strict schema (query-guard.ts refuses them first).
  const input: Record<string, unknown> = Object.create(null);
  for (const [key, values] of collected) {
    const field = fields.get(key);
    const converted = values.map((v) => coerceQueryValue(v, field?.coerce ?? null));
    input[key] = converted.length === 1 && !field?.list ? converted[0] : converted;
  }
  return input;
}

function pathInput(operation: RestOperation, pathname: string, names: string[]): Record<string, string> {
  if (names.length === 0) return {};
  const match = operation.pattern.exec(pathname);
  const out: Record<string, string> = {};
  // The template's parameters in order; the values as they came (the schemas' id patterns judge them).
  names.forEach((name, i) => {
    const value = match?.[i + 1];
    if (value !== undefined) out[name] = value;
  });
  return out;
}

export type CallResult = { ok: true; data: unknown } | { ok: false; status: number; error: TRPCError };

/** Errors as the procedure chain leaves them; anything that is not a TRPCError is an internal error. */
function asTrpcError(cause: unknown): TRPCError {
  if (cause instanceof TRPCError) return cause;
  return new TRPCError({
    code: "INTERNAL_SERVER_ERROR",
    message: "Internal server error",
    cause: cause instanceof Error ? cause : undefined,
  });
}

/**
 * Runs the operation's procedure. `method` is the one the operation is
 * declared with (HEAD runs the GET operation); the body is already parsed
 * (null for GET and DELETE, which take their input from the query).
 */
export async function callRestOperation(options: {
  operation: RestOperation;
  url: URL;
  /** The path under the REST endpoint, as the operation's pattern matches it. */
  path: string;
  body: ParsedBody;
  createContext: () => Promise<Context>;
}): Promise<CallResult> {
  const { operation, url, body } = options;
  try {
    const plan = planOf(operation);
    let input: unknown;
    if (plan.takesInput) {
      let from: Record<string, unknown>;
      if (operation.method === "GET" || operation.method === "DELETE") from = queryInput(url, plan.queryFields);
      else if (body === null) from = {};
      else if (!body.ok) {
        throw new TRPCError({ code: "PARSE_ERROR", message: "Failed to parse request body", cause: body.cause });
      } else from = body.value as Record<string, unknown>;
      // Path parameters win over the same name in the query or body, as the OpenAPI document says.
      input = { ...from, ...pathInput(operation, options.path, plan.pathParams) };
    }
    const ctx = await options.createContext();
    const data = await plan.call({
      path: operation.procedure,
      getRawInput: async () => input,
      ctx,
      type: plan.type,
      signal: undefined,
      batchIndex: 0,
    });
    return { ok: true, data };
  } catch (cause) {
    const error = asTrpcError(cause);
    return { ok: false, status: getHTTPStatusCodeFromError(error), error };
  }
}
