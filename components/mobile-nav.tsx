"use client";

import * as Dialog from "@radix-ui/react-dialog";
import { useState } from "react";
import type { NavItem } from "./app-shell";
import { NavLinks } from "./nav-links";
import type { ThemePreference } from "./theme-preference";
import { ThemeSwitch } from "./theme-switch";

/**
 * Below the large breakpoint the sidebar gives way to this: a Menu button opening the same
 * navigation in a drawer (Radix Dialog: focus moves in and is trapped, Escape or a click outside
 * closes it, focus returns to the button). Following a link closes it.
 */
export function MobileNav({ items, email, theme }: { items: NavItem[]; email: string; theme: ThemePreference }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog.Root open={open} onOpenChange={setOpen}>
      <Dialog.Trigger asChild>
        <button
          type="button"
          className="inline-flex items-center gap-1.5 rounded-md px-2 py-1.5 text-sm font-medium text-slate-700 ring-1 ring-slate-300 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-500 lg:hidden"
        >
          <svg aria-hidden="true" viewBox="0 0 20 20" className="h-4 w-4 fill-current">
            <path d="M3 5h14v2H3zM3 9h14v2H3zM3 13h14v2H3z" />
          </svg>
          Menu
        </button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/50" />
        <Dialog.Content
          aria-describedby={undefined}
          data-testid="mobile-menu"
          className="fixed inset-y-0 left-0 z-50 flex w-72 max-w-[85vw] flex-col gap-6 overflow-y-auto bg-white p-4 shadow-xl ring-1 ring-slate-200 focus:outline-none"
        >
          <div className="flex items-center justify-between">
            <Dialog.Title className="text-base font-semibold text-slate-900">Menu</Dialog.Title>
            <Dialog.Close
              aria-label="Close menu"
              className="rounded px-2 text-xl leading-none text-slate-600 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-brand-500"
            >
              ×
            </Dialog.Close>
          </div>
          <nav aria-label="Main">
            <NavLinks items={items} onNavigate={() => setOpen(false)} />
          </nav>
          <div className="mt-auto space-y-3 border-t border-slate-200 pt-4">
            <p className="truncate text-sm text-slate-600">{email}</p>
            <ThemeSwitch initial={theme} />
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
