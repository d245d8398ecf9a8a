import type { Metadata } from "next";
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { Alert, Button } from "@/components/ui";
import { SCOPES } from "@/server/auth/scopes";
import { requestIdOf } from "@/server/context";
import { idPattern } from "@/server/ids";
import { OAUTH_PATHS } from "@/server/oauth/metadata";
import { getRuntime } from "@/server/runtime";
import { openConsent } from "@/server/services/oauth-consent";
import { requireUser } from "../../_lib/session";

export const metadata: Metadata = { title: "Authorize application", robots: { index: false, follow: false } };
export const dynamic = "force-dynamic";

const EXPIRED =
  "This authorization request has expired or was not made by you. Return to the application and start again.";

/**
 * The consent page the authorization endpoint sends people to. Everything it
 * shows comes from the request parked server-side (services/oauth-consent.ts),
 * never from the URL, which carries only that request's id; and it is shown
 * only to the user the request was made for. The answer is a plain form
 * (no script needed) posted to the authorization endpoint with the request id
 * and a one-time anti-CSRF token that this rendering just issued.
 */
export default async function ConsentPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const raw = (await searchParams).request;
  const requestId = typeof raw === "string" && idPattern("oauthPending").test(raw) ? raw : null;
  // A malformed id names no request: nothing to sign in for.
  if (!requestId) return <Frame title="Authorization request not found">{EXPIRED}</Frame>;

  const principal = await requireUser(`${OAUTH_PATHS.consent}?request=${requestId}`);
  const h = await headers();
  const runtime = getRuntime();
  const view = await openConsent(
    {
      db: runtime.db,
      clock: runtime.clock,
      actor: { kind: "user", id: principal.userId },
      client: { ip: null, userAgent: h.get("user-agent")?.slice(0, 512) ?? null, requestId: requestIdOf(h) },
    },
    requestId,
    principal.userId,
  );
  if (!view) return <Frame title="Authorization request not found">{EXPIRED}</Frame>;

  return (
    <Frame title={`${view.clientName} wants to access your Gatehouse account`}>
      <p className="text-sm text-slate-600">
        Signed in as <strong data-testid="consent-email">{principal.email}</strong>
      </p>
      <div className="space-y-2">
        <p className="text-sm font-medium text-slate-800">This will allow {view.clientName} to:</p>
        <ul className="ml-5 list-disc space-y-1 text-sm text-slate-800" data-testid="consent-scopes">
          {view.scopes.map((scope) => (
            <li key={scope}>
              {SCOPES[scope]} <code className="text-xs text-slate-500">{scope}</code>
            </li>
          ))}
        </ul>
      </div>
      {view.scopes.includes("admin") ? (
        <Alert kind="warning">
          This includes administering Gatehouse with your administrator rights. Allow it only for an application you
          fully trust.
        </Alert>
      ) : null}
      {view.resource ? (
        <p className="text-sm text-slate-600" data-testid="consent-resource">
          Its tokens will work only for <strong className="break-all font-mono">{view.resource}</strong>
        </p>
      ) : null}
      <p className="text-sm text-slate-600">
        You will be sent back to <strong className="break-all font-mono">{view.redirectOrigin}</strong>
      </p>
      <form method="post" action={OAUTH_PATHS.authorize} className="flex gap-3 pt-2">
        <input type="hidden" name="request_id" value={view.requestId} />
        <input type="hidden" name="csrf_token" value={view.csrfToken} />
        <Button type="submit" name="decision" value="allow" className="flex-1">
          Allow
        </Button>
        <Button type="submit" name="decision" value="deny" variant="secondary" className="flex-1">
          Deny
        </Button>
      </form>
      <p className="text-xs text-slate-500">
        You can take this access back at any time under{" "}
        <a href="/settings/apps" className="underline">
          Authorised apps
        </a>
        .
      </p>
    </Frame>
  );
}

function Frame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-md space-y-5 rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
        <div aria-hidden className="h-10 w-10 rounded-lg bg-brand-600" />
        <h1 className="text-xl font-semibold text-slate-900">{title}</h1>
        {typeof children === "string" ? <p className="text-sm text-slate-700">{children}</p> : children}
      </div>
    </main>
  );
}
