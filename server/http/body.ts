import { AppError } from "../errors";

/**
 * Reads a request body with a hard cap, before anything parses it. A
 * declared Content-Length over the cap is refused without reading; a body
 * streamed without one is cut off as soon as it passes the cap.
 */
export async function readCappedBody(req: Request, maxBytes: number): Promise<Uint8Array | null> {
  if (req.method === "GET" || req.method === "HEAD") return null;
  const declared = req.headers.get("content-length");
  if (declared !== null && (!/^\d{1,15}$/.test(declared) || Number(declared) > maxBytes)) {
    throw tooLarge(maxBytes);
  }
  // A declared length within the cap bounds the body (Node's parser reads exactly that many bytes), so it
  // is read in one go — which the front's adapter does straight from the socket, without building a stream.
  if (declared !== null && req.headers.get("transfer-encoding") === null)
    return new Uint8Array(await req.arrayBuffer());
  if (!req.body) return null;
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function tooLarge(maxBytes: number) {
  return new AppError("PAYLOAD_TOO_LARGE", `The request body is larger than ${maxBytes} bytes`, "body_too_large");
}

/** A copy of the request whose body is the buffered bytes (so it can be read again). */
export function withBody(req: Request, body: Uint8Array | null): Request {
  return new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body: body && body.byteLength > 0 ? (body as BodyInit) : null,
  });
}

/** `application/json`, with or without parameters such as charset. */
export function isJsonContentType(value: string | null): boolean {
  if (!value) return false;
  const [type] = value.split(";");
  return type?.trim().toLowerCase() === "application/json";
}
