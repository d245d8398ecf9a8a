import type { OpenAPIObject } from "trpc-to-openapi";
import { z } from "zod";

/**
 * Reading the OpenAPI document the way a client's tooling would, for the
 * contract tests: references resolved, an operation found from a concrete
 * request path, and a real answer checked against what the document says of
 * it (status, headers, media type, body schema). Schemas are checked with
 * zod's JSON Schema reader, an implementation independent of the generator.
 */

type Json = Record<string, unknown>;

export interface DocumentedResponse {
  description?: string;
  headers?: Record<string, { required?: boolean; schema?: Json }>;
  content?: Record<string, { schema?: Json }>;
}

export interface DocumentedOperation {
  method: string;
  path: string;
  operationId?: string;
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: Json }>;
  requestBody?: { content?: Record<string, { schema?: Json }> };
  responses: Record<string, DocumentedResponse>;
  security?: Array<Record<string, string[]>>;
}

/** The document with every `$ref` replaced by what it points at (the document has no cycles). */
export function dereference<T>(doc: OpenAPIObject, value: T, depth = 0): T {
  if (depth > 50) throw new Error("reference cycle");
  if (Array.isArray(value)) return value.map((v) => dereference(doc, v, depth + 1)) as T;
  if (!value || typeof value !== "object") return value;
  const obj = value as Json;
  if (typeof obj.$ref === "string") {
    const target = resolvePointer(doc, obj.$ref);
    const { $ref: _, ...siblings } = obj;
    // OpenAPI 3.1: a Reference Object's description (and summary) override the target's.
    return { ...(dereference(doc, target, depth + 1) as Json), ...siblings } as T;
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, dereference(doc, v, depth + 1)])) as T;
}

export function resolvePointer(doc: OpenAPIObject, ref: string): unknown {
  if (!ref.startsWith("#/")) throw new Error(`not a local reference: ${ref}`);
  let at: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    at = (at as Json | undefined)?.[key];
    if (at === undefined) throw new Error(`unresolved reference ${ref}`);
  }
  return at;
}

const HTTP_METHODS = ["get", "put", "post", "delete", "patch"];

export function documentedOperations(doc: OpenAPIObject): DocumentedOperation[] {
  const out: DocumentedOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item as Json)) {
      if (!HTTP_METHODS.includes(method)) continue;
      out.push({ ...(dereference(doc, op) as Omit<DocumentedOperation, "method" | "path">), method, path });
    }
  }
  return out;
}

/** The operation a concrete request path (under /api/v1) and method reach. */
export function operationFor(
  ops: readonly DocumentedOperation[],
  method: string,
  concretePath: string,
): DocumentedOperation | undefined {
  const path = concretePath.split("?")[0] ?? "";
  const matches = ops.filter((op) => op.method === method.toLowerCase() && templateRegex(op.path).test(path));
  // A literal segment beats a parameter (/tokens/options before /tokens/{id}).
  return matches.sort((a, b) => literalLength(b.path) - literalLength(a.path))[0];
}

function templateRegex(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith("{") ? "[^/]+" : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`);
}

const literalLength = (template: string) => template.replace(/\{[^}]+\}/g, "").length;

export function validatorOf(schema: Json): z.ZodType {
  return z.fromJSONSchema(schema as never);
}

export interface CheckedAnswer {
  status: number;
  body: unknown;
  text: string;
  response: DocumentedResponse;
}

/**
 * Checks a real answer against the document: its status is documented for
 * the operation; every header the document calls required is there and every
 * documented header that is there has the documented shape; no header the
 * document knows of (HEADER_NAMES) comes on an answer that does not document
 * it; the media type and body are the documented ones (none for a 204).
 */
export async function checkAnswer(
  op: DocumentedOperation,
  res: Response,
  knownHeaders: readonly string[],
): Promise<CheckedAnswer> {
  const where = `${op.method.toUpperCase()} ${op.path} -> ${res.status}`;
  const text = await res.text();
  const response = op.responses[String(res.status)];
  if (!response) throw new Error(`${where}: status not documented (${Object.keys(op.responses).join(", ")}); ${text}`);
  const documented = Object.fromEntries(Object.entries(response.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [name, header] of Object.entries(documented)) {
    const value = res.headers.get(name);
    if (value === null) {
      if (header.required) throw new Error(`${where}: required header ${name} missing`);
      continue;
    }
    const typed = header.schema?.type === "integer" ? Number(value) : value;
    const parsed = validatorOf(header.schema ?? {}).safeParse(typed);
    if (!parsed.success) throw new Error(`${where}: header ${name}: ${JSON.stringify(value)} does not fit its schema`);
  }
  for (const name of knownHeaders) {
    if (res.headers.has(name) && !(name.toLowerCase() in documented)) {
      throw new Error(`${where}: header ${name} sent but not documented for this status`);
    }
  }
  const contentType = res.headers.get("content-type");
  if (!response.content) {
    if (text !== "" || contentType !== null) throw new Error(`${where}: documented without a body, got ${contentType}`);
    return { status: res.status, body: undefined, text, response };
  }
  const mediaType = contentType?.split(";")[0]?.trim() ?? "";
  const media = response.content[mediaType];
  if (!media) throw new Error(`${where}: media type ${contentType} not documented (${Object.keys(response.content)})`);
  // JSON media types are parsed; a streamed file (text/csv, application/x-ndjson) is checked as the text it is.
  const body: unknown = /(^|\+)json$/.test(mediaType.split("/")[1] ?? "") ? JSON.parse(text) : text;
  const parsed = validatorOf(media.schema ?? {}).safeParse(body);
  if (!parsed.success) {
    throw new Error(
      `${where}: body does not fit the documented schema: ${parsed.error.message}\n${text.slice(0, 2000)}`,
    );
  }
  return { status: res.status, body, text, response };
}
