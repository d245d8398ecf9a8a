import fs from "node:fs/promises";
import path from "node:path";
import { problem, problemResponse } from "./problem";

/**
 * The interactive API reference (Swagger UI), served from our own origin: its
 * files come from node_modules/swagger-ui-dist through /api/docs/<file>, never
 * a CDN. swagger-ui-dist is one package with no runtime dependencies (the
 * reference it replaced pulled in an AI SDK and Vue: 158 packages).
 *
 * CSP: no inline script at all — the page loads the bundle and a start-up file
 * of ours, both from 'self'. Swagger UI (React) sets styles through the CSSOM,
 * which CSP allows, and its stylesheet is a file: styles come from 'self' only.
 * The page shows the public API document; "Try it out" calls the API on this
 * origin (connect-src 'self'), with whatever credential the reader types in.
 */
export function handleApiReferencePage(_req: Request): Response {
  const html = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Gatehouse API reference</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
  <main id="app"></main>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/start.js"></script>
</body>
</html>`;
  return new Response(html, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join("; "),
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
    },
  });
}

/**
 * Starts Swagger UI on the served document. validatorUrl null: by default it
 * sends the document's address to validator.swagger.io for a badge.
 */
const START = `window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#app",
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: false,
  displayRequestDuration: true,
});
`;

/** The only files /api/docs/<file> serves: a fixed list, never a path from the request. */
const ASSETS: Record<string, { file: string; type: string }> = {
  "swagger-ui-bundle.js": { file: "swagger-ui-bundle.js", type: "text/javascript; charset=utf-8" },
  "swagger-ui.css": { file: "swagger-ui.css", type: "text/css; charset=utf-8" },
};

const cache = new Map<string, Promise<Buffer>>();

export async function handleApiReferenceAsset(name: string): Promise<Response> {
  const headers = {
    "cache-control": "public, max-age=86400",
    "x-content-type-options": "nosniff",
  };
  if (name === "start.js") {
    return new Response(START, { headers: { ...headers, "content-type": "text/javascript; charset=utf-8" } });
  }
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) return problemResponse(problem(404, "No such file of the API reference"));
  let body = cache.get(asset.file);
  if (!body) {
    body = fs.readFile(path.join(process.cwd(), "node_modules", "swagger-ui-dist", asset.file));
    cache.set(asset.file, body);
  }
  return new Response(new Uint8Array(await body), { headers: { ...headers, "content-type": asset.type } });
}
