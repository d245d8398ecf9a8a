import { cookies } from "next/headers";
import Link from "next/link";
import type { ReactNode } from "react";
import { SignOutButton } from "./auth/sign-out-button";
import { MobileNav } from "./mobile-nav";
import { NavLinks } from "./nav-links";
import { parseTheme, THEME_COOKIE } from "./theme-preference";
import { ThemeSwitch } from "./theme-switch";

export interface NavItem {
  href: string;
  label: string;
  /** The heading the item is listed under (e.g. "Admin"); none for the everyday items. */
  group?: string;
}

/**
 * The one page frame for signed-in people, member and admin pages alike: brand, who is signed in,
 * the theme switch, sign-out, and one navigation (app/_lib/nav.ts userNav: the same items on every
 * page, by role). On large screens the navigation is a sidebar, so the admin section never wraps;
 * below that a Menu button opens it in a drawer. `main` may shrink (min-w-0): a wide table scrolls
 * inside its own container instead of widening the page.
 */
export async function AppShell({
  nav,
  email,
  children,
  area,
}: {
  nav: NavItem[];
  email: string;
  children: ReactNode;
  /** An optional small label beside the brand. */
  area?: string;
}) {
  const theme = parseTheme((await cookies()).get(THEME_COOKIE)?.value);
  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:text-sm focus:shadow"
      >
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-screen-2xl items-center gap-3 px-4 py-3">
          <MobileNav items={nav} email={email} theme={theme} />
          <Link href="/" className="flex items-center gap-2 font-semibold text-slate-900">
            <span aria-hidden className="inline-block h-6 w-6 rounded bg-brand-600" />
            Gatehouse
            {area ? <span className="text-xs font-normal text-slate-500">{area}</span> : null}
          </Link>
          <div className="flex-1" />
          <span className="hidden truncate text-sm text-slate-500 sm:inline" data-testid="signed-in-as">
            {email}
          </span>
          <div className="hidden lg:block">
            <ThemeSwitch initial={theme} />
          </div>
          <SignOutButton />
        </div>
      </header>
      <div className="mx-auto flex max-w-screen-2xl gap-6 px-4">
        <aside className="hidden w-48 shrink-0 py-6 lg:block">
          <nav aria-label="Main" className="sticky top-6">
            <NavLinks items={nav} />
          </nav>
        </aside>
        <main id="main" className="min-w-0 flex-1 space-y-6 py-6">
          {children}
        </main>
      </div>
    </div>
  );
}
