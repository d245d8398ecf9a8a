import Link from "next/link";
import type { ReactNode } from "react";
import { SignOutButton } from "./auth/sign-out-button";

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
            {nav.map((item) => (
              <Link
                key={item.href}
                href={item.href}
                className="rounded-md px-2.5 py-1.5 text-sm text-slate-700 hover:bg-slate-100 hover:text-slate-900"
              >
                {item.label}
              </Link>
            ))}
          </nav>
          <span className="hidden text-sm text-slate-500 sm:inline" data-testid="signed-in-as">
            {email}
          </span>
          <Link
            href="/account"
            className="rounded-md px-2.5 py-1.5 text-sm text-slate-700 hover:bg-slate-100 hover:text-slate-900"
          >
            Account
          </Link>
          <SignOutButton />
        </div>
      </header>
      <main className="mx-auto max-w-6xl space-y-6 px-4 py-6">{children}</main>
    </div>
  );
}
