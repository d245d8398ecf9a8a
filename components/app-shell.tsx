import Link from "next/link";
import type { ReactNode } from "react";
import { SignOutButton } from "./auth/sign-out-button";
import { NavLinks } from "./nav-links";

export interface NavItem {
  href: string;
  label: string;
}

/** Page frame for signed-in people: brand, navigation, who is signed in, sign-out. */
export function AppShell({
  nav,
  email,
  children,
  area,
}: {
  nav: NavItem[];
  email: string;
  children: ReactNode;
  area: string;
}) {
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl items-center gap-6 px-4 py-3">
          <Link href="/" className="flex items-center gap-2 font-semibold text-slate-900">
            <span aria-hidden className="inline-block h-6 w-6 rounded bg-brand-600" />
            Gatehouse
            <span className="text-xs font-normal text-slate-500">{area}</span>
          </Link>
          <nav aria-label="Main" className="flex flex-1 flex-wrap gap-1">
            <NavLinks items={nav} />
          </nav>
          <span className="hidden text-sm text-slate-500 sm:inline" data-testid="signed-in-as">
            {email}
          </span>
          <nav aria-label="Account" className="flex">
            <NavLinks items={[{ href: "/account", label: "Account" }]} />
          </nav>
          <SignOutButton />
        </div>
      </header>
      <main className="mx-auto max-w-6xl space-y-6 px-4 py-6">{children}</main>
    </div>
  );
}
