import type { Metadata } from "next";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { SignInForm } from "@/components/auth/sign-in-form";
import { parseTheme, THEME_COOKIE } from "@/components/theme-preference";
import { ThemeSwitch } from "@/components/theme-switch";
import { Alert } from "@/components/ui";
import { SIGN_IN_REASONS, signInReasonFromCookie, signInReasonHint } from "@/server/auth/sign-in-reason";
import { getRuntime } from "@/server/runtime";
import { safeReturnTo } from "@/server/security/return-to";
import { getPagePrincipal } from "../_lib/session";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const runtime = getRuntime();
  // Parsed against APP_URL and followed only on its origin, never an open redirect (server/security/return-to.ts).
  const returnTo = safeReturnTo(params.callbackUrl, runtime.config.appUrl);
  // Why the person is here: read before the session check below removes an expired row. The browser's own
  // (dead) session cookie says it best; without one, the URL's hint picks a line of fixed text.
  const reason =
    (await signInReasonFromCookie(new Headers(await headers()), runtime)) ?? signInReasonHint(params.reason);
  if (await getPagePrincipal()) redirect(returnTo);
  // The same switch as in the app's header, before anyone signs in (the cookie is the browser's, not a user's).
  const theme = parseTheme((await cookies()).get(THEME_COOKIE)?.value);
  return (
    <main className="relative flex min-h-screen items-center justify-center px-4">
      <div className="absolute right-4 top-4">
        <ThemeSwitch initial={theme} />
      </div>
      <div className="w-full max-w-sm space-y-6">
        <div className="space-y-1 text-center">
          <div aria-hidden className="mx-auto h-10 w-10 rounded-lg bg-brand-600" />
          <h1 className="text-2xl font-semibold">Sign in to Gatehouse</h1>
        </div>
        {reason ? (
          <div data-testid="sign-in-reason">
            <Alert kind={reason === "signed_out" ? "success" : "info"}>{SIGN_IN_REASONS[reason]}</Alert>
          </div>
        ) : null}
        <SignInForm returnTo={returnTo} />
      </div>
    </main>
  );
}
