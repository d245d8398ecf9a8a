import type { Metadata } from "next";
import { RateLimitsManager } from "@/components/admin/rate-limits-manager";
import { requireAdmin } from "../../_lib/session";

export const metadata: Metadata = { title: "Rate limits" };

/** Rate limits (the admin layout has already checked that this is a signed-in admin). */
export default async function AdminRateLimitsPage() {
  // The proxy already refused non-admins (proxy.ts guardAdminPages); this page never relies on that alone.
  await requireAdmin();
  return (
    <>
      <h1 className="text-xl font-semibold">Rate limits</h1>
      <p className="max-w-3xl text-sm text-slate-600">
        Every API call counts against its caller: a user session or an API token, or the client IP when there is no
        valid credential. Sign-in failures lock an account or an IP out for a while. The values come from the
        environment (RATE_LIMIT_*); overrides for single users or tokens are set here and apply from the next request
        on, in every server process.
      </p>
      <RateLimitsManager />
    </>
  );
}
