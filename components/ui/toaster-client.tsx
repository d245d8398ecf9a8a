"use client";

import * as ToastPrimitive from "@radix-ui/react-toast";
import { setNonce } from "get-nonce";
import { useEffect, useState, useSyncExternalStore } from "react";
import { type ToastMessage, toast, toastStore } from "./toast";

const DURATION_MS: Record<ToastMessage["kind"], number> = {
  success: 5_000,
  info: 5_000,
  // A refusal stays long enough to be read (and copied); hovering or focusing it pauses the timer.
  error: 12_000,
};

const STYLES: Record<ToastMessage["kind"], string> = {
  success: "border-emerald-300 bg-emerald-50 text-emerald-900",
  info: "border-brand-100 bg-white text-slate-900",
  error: "border-red-300 bg-red-50 text-red-900",
};

/**
 * The one toast region (Radix Toast: announced politely, an error assertively; F8 focuses it;
 * swipe or × dismisses). Rendered only after hydration: Radix puts an inline `style` attribute on
 * the empty viewport, which the page CSP (style-src without 'unsafe-inline') refuses in server
 * HTML; set from the client it is CSSOM, which CSP allows.
 *
 * It also hands this response's CSP nonce to get-nonce, where react-style-singleton (used by
 * Radix Dialog/AlertDialog's scroll lock) reads it for the <style> tag it injects: without it,
 * the browser refuses that tag.
 */
export function ToasterClient({ nonce }: { nonce: string | undefined }) {
  const [mounted, setMounted] = useState(false);
  useEffect(() => {
    // In the browser only: get-nonce keeps one value per JavaScript realm, which on the server would be
    // shared by concurrent requests. No dialog can open before this runs (it needs a hydrated click).
    // The document's own nonce first (a script's .nonce property, which the browser keeps though it
    // hides the attribute): a router.refresh() (signing in does one) renders this layout again with
    // a new response's nonce, while the document keeps the CSP it was loaded with.
    const documentNonce = document.querySelector<HTMLScriptElement>("script[nonce]")?.nonce;
    const value = documentNonce || nonce;
    if (value) setNonce(value);
    setMounted(true);
  }, [nonce]);
  const messages = useSyncExternalStore(toastStore.subscribe, toastStore.snapshot, toastStore.serverSnapshot);
  if (!mounted) return null;
  return (
    <ToastPrimitive.Provider swipeDirection="right" label="Notifications">
      {messages.map((m) => (
        <ToastPrimitive.Root
          key={m.id}
          type={m.kind === "error" ? "foreground" : "background"}
          duration={DURATION_MS[m.kind]}
          onOpenChange={(open) => {
            if (!open) toast.dismiss(m.id);
          }}
          data-testid="toast"
          data-kind={m.kind}
          className={`pointer-events-auto flex items-start gap-3 rounded-md border px-4 py-3 text-sm shadow-lg data-[swipe=move]:translate-x-(--radix-toast-swipe-move-x) data-[swipe=end]:translate-x-(--radix-toast-swipe-end-x) ${STYLES[m.kind]}`}
        >
          <div className="min-w-0 flex-1 space-y-0.5">
            <ToastPrimitive.Title className="font-medium break-words">{m.title}</ToastPrimitive.Title>
            {m.description ? (
              <ToastPrimitive.Description className="break-words opacity-90">
                {m.description}
              </ToastPrimitive.Description>
            ) : null}
          </div>
          <ToastPrimitive.Close
            aria-label="Dismiss"
            className="rounded px-1 text-base leading-none opacity-70 hover:opacity-100 focus-visible:outline-2 focus-visible:outline-brand-500"
          >
            ×
          </ToastPrimitive.Close>
        </ToastPrimitive.Root>
      ))}
      <ToastPrimitive.Viewport className="fixed right-0 bottom-0 z-50 m-0 flex w-full max-w-sm list-none flex-col gap-2 p-4 outline-none" />
    </ToastPrimitive.Provider>
  );
}
