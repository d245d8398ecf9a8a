import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignInForm } from "@/components/auth/sign-in-form";
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
  // Parsed against APP_URL and followed only on its origin, never an open redirect (server/security/return-to.ts).
  const returnTo = safeReturnTo(params.callbackUrl, getRuntime().config.appUrl);
  if (await getPagePrincipal()) redirect(returnTo);
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm space-y-6">
        <div className="space-y-1 text-center">
          <div aria-hidden className="mx-auto h-10 w-10 rounded-lg bg-brand-600" />
          <h1 className="text-2xl font-semibold">Sign in to Gatehouse</h1>
        </div>
        <SignInForm returnTo={returnTo} />
      </div>
    </main>
  );
}
