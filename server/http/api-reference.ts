import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

/**
 * The interactive API reference (Scalar), served from our own origin: its
 * script comes from node_modules through /api/docs/scalar.js, never a CDN.
 *
 * CSP: scripts only from 'self' plus this response's nonce. Scalar sets
 * style attributes and injects <style> elements at run time, so styles need
 * 'unsafe-inline' on this one page; it shows only the public API document and
 * handles no session (the cookie is never sent to the API it calls).
 */
export function handleApiReferencePage(_req: Request): Response {
  const nonce = randomBytes(16).toString("base64");
  const html = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Gatehouse API reference</title>
</head>
<body>
  <div id="app"></div>
  <script nonce="${nonce}">
    // zod (bundled in Scalar) probes for eval with Function(""); under this CSP the probe is a
    // reported violation. Its documented CSP switch turns the probe off (zod.dev: z.config jitless).
    globalThis.__zod_globalConfig = Object.assign(globalThis.__zod_globalConfig || {}, { jitless: true });
  </script>
  <script src="/api/docs/scalar.js" nonce="${nonce}"></script>
  <script nonce="${nonce}">
    Scalar.createApiReference("#app", {
      url: "/api/openapi.json",
      withDefaultFonts: false,
      hideClientButton: false,
      telemetry: false,
    });
  </script>
</body>
</html>`;
  return new Response(html, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": [
        "default-src 'self'",
        `script-src 'self' 'nonce-${nonce}'`,
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
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

let script: Promise<Buffer> | undefined;

export async function handleApiReferenceScript(): Promise<Response> {
  script ??= fs.readFile(
    path.join(process.cwd(), "node_modules", "@scalar", "api-reference", "dist", "browser", "standalone.js"),
  );
  return new Response(new Uint8Array(await script), {
    headers: {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=86400",
      "x-content-type-options": "nosniff",
    },
  });
}
