import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ChangePasswordForm } from "@/components/auth/change-password-form";
import { getPagePrincipal } from "../_lib/session";

export const metadata: Metadata = { title: "Change password" };
export const dynamic = "force-dynamic";

export default async function ChangePasswordPage() {
  const principal = await getPagePrincipal();
  if (!principal) redirect("/signin?callbackUrl=/change-password");
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-md space-y-6">
        <h1 className="text-center text-2xl font-semibold">Choose a new password</h1>
        <ChangePasswordForm forced={principal.mustChangePassword} email={principal.email} />
      </div>
    </main>
  );
}
