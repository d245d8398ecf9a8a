"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useId } from "react";
import type { NavItem } from "./app-shell";

const BASE = "block rounded-md px-2.5 py-1.5 text-sm whitespace-nowrap";
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

/** Items in their groups, in first-seen order; items without a group come first, unheaded. */
export function groupNav(items: NavItem[]): Array<{ group: string | null; items: NavItem[] }> {
  const groups = new Map<string | null, NavItem[]>([[null, []]]);
  for (const item of items) {
    const key = item.group ?? null;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return [...groups].filter(([, list]) => list.length > 0).map(([group, list]) => ({ group, items: list }));
}

/**
 * The navigation's lists, a group under its heading (the list is named by it), the current page's
 * link marked (aria-current="page", and visibly) — one mark across all groups. `onNavigate` lets
 * the mobile menu close when a link is followed.
 */
export function NavLinks({ items, onNavigate }: { items: NavItem[]; onNavigate?: () => void }) {
  const active = activeHref(
    usePathname() ?? "",
    items.map((item) => item.href),
  );
  const id = useId();
  return (
    <div className="space-y-5">
      {groupNav(items).map(({ group, items: list }, index) => {
        const headingId = `${id}-${index}`;
        return (
          <div key={group ?? ""} className="space-y-1">
            {group ? (
              <p id={headingId} className="px-2.5 text-xs font-semibold tracking-wide text-slate-500 uppercase">
                {group}
              </p>
            ) : null}
            <ul aria-labelledby={group ? headingId : undefined} className="space-y-0.5">
              {list.map((item) => (
                <li key={item.href}>
                  <Link
                    href={item.href}
                    aria-current={item.href === active ? "page" : undefined}
                    className={item.href === active ? ACTIVE : IDLE}
                    onClick={onNavigate}
                  >
                    {item.label}
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </div>
  );
}
