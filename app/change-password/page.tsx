import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ChangePasswordForm } from "@/components/auth/change-password-form";
import { getRuntime } from "@/server/runtime";
import { safeReturnTo } from "@/server/security/return-to";
import { getPagePrincipal } from "../_lib/session";

export const metadata: Metadata = { title: "Change password" };
export const dynamic = "force-dynamic";

export default async function ChangePasswordPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  // Where the person was going (a page, an OAuth authorization): followed only on our origin (return-to.ts).
  const returnTo = safeReturnTo((await searchParams).callbackUrl, getRuntime().config.appUrl);
  const principal = await getPagePrincipal();
  const here = returnTo === "/" ? "/change-password" : `/change-password?callbackUrl=${encodeURIComponent(returnTo)}`;
  if (!principal) redirect(`/signin?callbackUrl=${encodeURIComponent(here)}`);
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-md space-y-6">
        <h1 className="text-center text-2xl font-semibold">Choose a new password</h1>
        <ChangePasswordForm forced={principal.mustChangePassword} email={principal.email} returnTo={returnTo} />
      </div>
    </main>
  );
}
