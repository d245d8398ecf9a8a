import { appRouter } from "../root";

/**
 * The "route" of a request for logs, metrics and counters: a name from a
 * closed set (a procedure path, a REST path template such as
 * `GET /contacts/{id}`, or "unmatched"), never the raw URL. So a client
 * cannot grow the number of metric series by inventing paths, and no id,
 * query string or credential-in-the-URL ends up in a label or a log line.
 */
export const UNMATCHED = "unmatched";

interface RestTemplate {
  method: string;
  pattern: RegExp;
  label: string;
}

let procedures: Set<string> | undefined;
let restTemplates: RestTemplate[] | undefined;

function procedureNames(): Set<string> {
  procedures ??= new Set(Object.keys(appRouter._def.procedures));
  return procedures;
}

function templates(): RestTemplate[] {
  if (!restTemplates) {
    restTemplates = [];
    const all = Object.values(appRouter._def.procedures) as unknown as Array<{
      _def: { meta?: { openapi?: { method: string; path: string } } };
    }>;
    for (const procedure of all) {
      const openapi = procedure._def.meta?.openapi;
      if (!openapi) continue;
      const source = openapi.path
        .split("/")
        .map((part) => (/^\{[^}]+\}$/.test(part) ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("/");
      restTemplates.push({
        method: openapi.method.toUpperCase(),
        pattern: new RegExp(`^${source}/?$`),
        label: `${openapi.method.toUpperCase()} ${openapi.path}`,
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
  const path = url.pathname.slice(endpoint.length) || "/";
  const upper = method.toUpperCase();
  const found = templates().find((t) => (t.method === upper || upper === "HEAD") && t.pattern.test(path));
  return found?.label ?? UNMATCHED;
}

/**
 * The methods declared for a REST path (`/api/v1/contacts` -> GET, POST),
 * with HEAD beside GET; empty when no operation has this path. So a known
 * path with an undeclared verb is a 405 with `Allow`, not a 404.
 */
export function restMethodsOf(url: URL, endpoint: string): string[] {
  const path = url.pathname.slice(endpoint.length) || "/";
  const methods = new Set<string>();
  for (const t of templates()) {
    if (!t.pattern.test(path)) continue;
    methods.add(t.method);
    if (t.method === "GET") methods.add("HEAD");
  }
  return [...methods];
}
