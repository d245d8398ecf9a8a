"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { NavItem } from "./app-shell";

const BASE = "rounded-md px-2.5 py-1.5 text-sm";
const IDLE = `${BASE} text-slate-700 hover:bg-slate-100 hover:text-slate-900`;
const ACTIVE = `${BASE} bg-brand-50 font-medium text-brand-700`;

/**
 * The item a path belongs to: the longest href that is the path or one of its
 * parents, so /admin/users/usr_… marks Users and only /admin itself marks the
 * Overview.
 */
export function activeHref(pathname: string, hrefs: string[]): string | null {
  let best: string | null = null;
  for (const href of hrefs) {
    const match = pathname === href || pathname.startsWith(href.endsWith("/") ? href : `${href}/`);
    if (match && (best === null || href.length > best.length)) best = href;
  }
  return best;
}

/** The navigation links, the current page's marked (aria-current="page", and visibly). */
export function NavLinks({ items }: { items: NavItem[] }) {
  const active = activeHref(
    usePathname() ?? "",
    items.map((item) => item.href),
  );
  return items.map((item) => (
    <Link
      key={item.href}
      href={item.href}
      aria-current={item.href === active ? "page" : undefined}
      className={item.href === active ? ACTIVE : IDLE}
    >
      {item.label}
    </Link>
  ));
}
