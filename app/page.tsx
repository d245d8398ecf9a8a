import { redirect } from "next/navigation";
import { getPagePrincipal } from "./_lib/session";

export const dynamic = "force-dynamic";

/** The front door sends each person where they work. */
export default async function Home() {
  const principal = await getPagePrincipal();
  if (!principal) redirect("/signin");
  if (principal.mustChangePassword) redirect("/change-password");
  redirect(principal.role === "admin" ? "/admin" : "/contacts");
}
