import { appRouter } from "../root";

/**
 * The "route" of a request for logs, metrics and counters: a name from a
 * closed set (a procedure path, a REST path template such as
 * `GET /contacts/{id}`, or "unmatched"), never the raw URL. So a client
 * cannot grow the number of metric series by inventing paths, and no id,
 * query string or credential-in-the-URL ends up in a label or a log line.
 */
export const UNMATCHED = "unmatched";

/** One REST operation: its verb and path template, the procedure behind it and what its meta says for REST. */
export interface RestOperation {
  method: string;
  /** The path template under the endpoint; each `{param}` is a capture group, in order. */
  pattern: RegExp;
  label: string;
  /** The procedure's path in the router, e.g. `admin.users.create`. */
  procedure: string;
  /** `meta.created.location`: a 201 with this Location (server/trpc.ts). */
  created: `/${string}` | null;
  /** How many `{param}` segments: a path that matches a literal template never names a parameterised one. */
  params: number;
  /** False when the procedure's input is `z.void()` (or none): then any query parameter is an unknown one. */
  takesInput: boolean;
}
type RestTemplate = RestOperation;

let procedures: Set<string> | undefined;
let restTemplates: RestTemplate[] | undefined;

function procedureNames(): Set<string> {
  procedures ??= new Set(Object.keys(appRouter._def.procedures));
  return procedures;
}

function templates(): RestTemplate[] {
  if (!restTemplates) {
    restTemplates = [];
    const all = Object.entries(appRouter._def.procedures) as unknown as Array<
      [
        string,
        {
          _def: {
            meta?: { openapi?: { method: string; path: string }; created?: { location: `/${string}` } };
            inputs: Array<{ _zod?: { def?: { type?: string } } }>;
          };
        },
      ]
    >;
    for (const [name, procedure] of all) {
      const openapi = procedure._def.meta?.openapi;
      if (!openapi) continue;
      const source = openapi.path
        .split("/")
        .map((part) => (/^\{[^}]+\}$/.test(part) ? "([^/]+)" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("/");
      restTemplates.push({
        method: openapi.method.toUpperCase(),
        pattern: new RegExp(`^${source}/?$`),
        label: `${openapi.method.toUpperCase()} ${openapi.path}`,
        procedure: name,
        created: procedure._def.meta?.created?.location ?? null,
        params: (openapi.path.match(/\{[^}]+\}/g) ?? []).length,
        takesInput: procedure._def.inputs.some((input) => input._zod?.def?.type !== "void"),
      });
    }
  }
  return restTemplates;
}

/** `/api/trpc/contacts.list` -> `contacts.list`; a batch -> `batch`; anything unknown -> UNMATCHED. */
export function trpcRouteOf(url: URL, endpoint: string): { route: string; procedures: string[] } {
  let tail: string;
  try {
    tail = decodeURIComponent(url.pathname.slice(endpoint.length + 1));
  } catch {
    return { route: UNMATCHED, procedures: [] };
  }
  const names = tail.split(",");
  const known = procedureNames();
  if (names.length === 0 || names.some((name) => !known.has(name))) return { route: UNMATCHED, procedures: [] };
  return { route: names.length === 1 ? (names[0] as string) : "batch", procedures: names };
}

/** `/api/v1/contacts/con_…` with GET -> `GET /contacts/{id}`; anything unknown -> UNMATCHED. */
export function restRouteOf(method: string, url: URL, endpoint: string): string {
  return restOperationOf(method, url, endpoint)?.label ?? UNMATCHED;
}

/**
 * The operation a REST request names (HEAD as GET), in the bridge's order (the
 * first declared template that matches, as trpc-to-openapi picks), or null.
 */
export function restOperationOf(method: string, url: URL, endpoint: string): RestOperation | null {
  const upper = method.toUpperCase() === "HEAD" ? "GET" : method.toUpperCase();
  return resourceOf(url, endpoint).find((t) => t.method === upper) ?? null;
}

/**
 * The templates of the resource a path names: of all that match, those with the fewest
 * parameters, so `/tokens/revoke-all` is that resource (POST only: a GET is a 405), never
 * `/tokens/{id}` with the id "revoke-all".
 */
function resourceOf(url: URL, endpoint: string): RestOperation[] {
  const path = url.pathname.slice(endpoint.length) || "/";
  const matching = templates().filter((t) => t.pattern.test(path));
  const fewest = Math.min(...matching.map((t) => t.params));
  return matching.filter((t) => t.params === fewest);
}

/**
 * The methods declared for a REST path (`/api/v1/contacts` -> GET, POST),
 * with HEAD beside GET; empty when no operation has this path. So a known
 * path with an undeclared verb is a 405 with `Allow`, not a 404.
 */
export function restMethodsOf(url: URL, endpoint: string): string[] {
  const methods = new Set<string>();
  for (const t of resourceOf(url, endpoint)) {
    methods.add(t.method);
    if (t.method === "GET") methods.add("HEAD");
  }
  return [...methods];
}
