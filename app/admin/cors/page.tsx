import type { Metadata } from "next";
import { CorsManager } from "@/components/admin/cors-manager";
import { getRuntime } from "@/server/runtime";
import { requireAdmin } from "../../_lib/session";

export const metadata: Metadata = { title: "CORS origins" };

/** The CORS allow-list (the admin layout has already checked that this is a signed-in admin). */
export default async function AdminCorsPage() {
  // The proxy already refused non-admins (proxy.ts guardAdminPages); this page never relies on that alone.
  await requireAdmin();
  return (
    <>
      <h1 className="text-xl font-semibold">CORS origins</h1>
      <p className="max-w-3xl text-sm text-slate-600">
        Web pages on these origins may call the API from a browser (with an API token, or — only where credentials are
        allowed — with the signed-in person&apos;s cookies). Any other origin gets no CORS headers, so the browser keeps
        the answer from the page. A change applies from the next request on.
      </p>
      <CorsManager appOrigin={getRuntime().config.appUrl.origin} />
    </>
  );
}
