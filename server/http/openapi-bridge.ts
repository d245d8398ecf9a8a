import { TRPCError } from "@trpc/server";
import { createOpenApiNodeHttpHandler } from "trpc-to-openapi";
import type { Context } from "../context";
import { appRouter } from "../root";

/**
 * The REST bridge's call into trpc-to-openapi, with its path table built
 * once per process. trpc-to-openapi's own fetch adapter builds a new handler
 * (and with it a regular expression for every operation) on every request,
 * and reads the body again; the REST door has already read, capped and
 * shape-checked the body, so it hands over the parsed JSON here.
 *
 * What the handler sees is the door's request with three properties
 * answered by us: `url` without the /api/v1 prefix, `body` (the parsed JSON,
 * or a PARSE_ERROR when it did not parse — exactly what the library's
 * adapter does), and `headers` with the content type the door normalised.
 */
const CALL = Symbol("gatehouse.openapi.call");

interface Call {
  createContext: () => Promise<Context>;
  onError: (error: TRPCError) => void;
}

type Handler = ReturnType<typeof createOpenApiNodeHttpHandler>;
let handler: Handler | undefined;

function bridge(): Handler {
  handler ??= createOpenApiNodeHttpHandler({
    router: appRouter,
    createContext: ({ req }: { req: unknown }) => (req as { [CALL]: Call })[CALL].createContext(),
    onError: ({ error, req }: { error: TRPCError; req: unknown }) => (req as { [CALL]: Call })[CALL].onError(error),
  } as unknown as Parameters<typeof createOpenApiNodeHttpHandler>[0]);
  return handler;
}

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

// The bridge does not stop a procedure mid-way when a client goes away (every handler is short and transactional).
const NOT_ABORTED = new AbortController().signal;

export function callOpenApi(options: {
  req: Request;
  endpoint: string;
  body: ParsedBody;
  /** The method the bridge routes by, when not the request's (HEAD runs the GET operation). */
  method?: string;
  createContext: () => Promise<Context>;
  onError: (error: TRPCError) => void;
}): Promise<Response> {
  const { req, endpoint, body } = options;
  const url = req.url.replace(endpoint, "");
  let headers: Headers | undefined;
  const call: Call = { createContext: options.createContext, onError: options.onError };
  const proxy = new Proxy(req, {
    get(target, prop) {
      if (prop === CALL) return call;
      if (prop === "url") return url;
      if (prop === "method" && options.method) return options.method;
      if (prop === "signal") return NOT_ABORTED;
      if (prop === "body") {
        if (body === null) return undefined;
        if (!body.ok) {
          throw new TRPCError({ code: "PARSE_ERROR", message: "Failed to parse request body", cause: body.cause });
        }
        return body.value;
      }
      if (prop === "headers" && body !== null) {
        headers ??= new Headers(target.headers);
        headers.set("content-type", "application/json");
        return headers;
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
    has(target, prop) {
      return prop === "body" ? body !== null : Reflect.has(target, prop);
    },
  });
  return new Promise((resolve) => {
    const resHeaders = new Headers();
    let statusCode = 200;
    const res = {
      setHeader(key: string, value: string | string[]) {
        if (typeof value === "string") resHeaders.set(key, value);
        else for (const v of value) resHeaders.append(key, v);
      },
      get statusCode() {
        return statusCode;
      },
      set statusCode(code: number) {
        statusCode = code;
      },
      end(text?: string) {
        resolve(new Response(text, { status: statusCode, headers: resHeaders }));
      },
    };
    void (bridge() as unknown as (req: unknown, res: unknown) => Promise<void>)(proxy, res);
  });
}
