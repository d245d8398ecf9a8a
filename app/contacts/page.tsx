import type { Metadata } from "next";
import { AppShell } from "@/components/app-shell";
import { ContactsManager } from "@/components/contacts/contacts-manager";
import { userNav } from "../_lib/nav";
import { requireUser } from "../_lib/session";

export const metadata: Metadata = { title: "Contacts" };
export const dynamic = "force-dynamic";

export default async function ContactsPage() {
  const principal = await requireUser("/contacts");
  return (
    <AppShell nav={userNav(principal)} email={principal.email}>
      <h1 className="text-xl font-semibold">Contacts</h1>
      <ContactsManager />
    </AppShell>
  );
}
