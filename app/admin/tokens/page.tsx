import type { Metadata } from "next";
import { AdminTokens } from "@/components/tokens/admin-tokens";

export const metadata: Metadata = { title: "Tokens" };

export default function AdminTokensPage() {
  return (
    <>
      <h1 className="text-xl font-semibold">API tokens</h1>
      <AdminTokens />
    </>
  );
}
