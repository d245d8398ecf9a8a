import { appErrorOf } from "../errors";
import { oauthRetryLater } from "./errors";

/**
 * The page the authorize endpoint shows when it must NOT redirect: an
 * unknown client or a redirect URI that is not registered (RFC 6749
 * §4.1.2.1 — redirecting there would make us an open redirector). Plain
 * HTML, every value escaped, the style carrying the nonce the page CSP
 * allows (proxy.ts puts it on the request as `x-nonce`).
 */
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

export function oauthErrorPage(
  req: Request,
  opts: { status: number; title: string; message: string; error?: string },
): Response {
  const nonce = req.headers.get("x-nonce");
  const style = nonce
    ? `<style nonce="${escapeHtml(nonce)}">body{font-family:system-ui,sans-serif;background:#f8fafc;color:#0f172a;display:flex;min-height:100vh;align-items:center;justify-content:center;margin:0}main{max-width:32rem;background:#fff;border:1px solid #e2e8f0;border-radius:.75rem;padding:2rem}h1{font-size:1.25rem;margin:0 0 .75rem}code{background:#f1f5f9;padding:0 .25rem;border-radius:.25rem}</style>`
    : "";
  const code = opts.error ? `<p>Error code: <code>${escapeHtml(opts.error)}</code></p>` : "";
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(opts.title)} · Gatehouse</title>${style}</head><body><main><h1>${escapeHtml(opts.title)}</h1><p>${escapeHtml(opts.message)}</p>${code}<p>Return to the application you came from and try again, or tell its developers.</p></main></body></html>`;
  return new Response(html, {
    status: opts.status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });
}

/**
 * The authorize endpoint is a page, outside the API doors: this gives it the
 * same answer to a storage failure (a full disk, a read-only database …) or
 * a limiter outage — the one mapping, appErrorOf — as every door: 503 with
 * Retry-After, here as a page, never the framework's bare 500. Anything else
 * is thrown on.
 */
export function withUnavailablePage(handle: (req: Request) => Promise<Response>): (req: Request) => Promise<Response> {
  return async (req) => {
    try {
      return await handle(req);
    } catch (error) {
      const app = appErrorOf(error);
      const later = app && oauthRetryLater(app);
      if (!later) throw error;
      const page = oauthErrorPage(req, {
        status: later.status,
        title: "Temporarily unavailable",
        message: later.description,
      });
      for (const [name, value] of Object.entries(later.headers)) page.headers.set(name, value);
      return page;
    }
  };
}
