"use client";

import * as AlertDialog from "@radix-ui/react-alert-dialog";
import { type ReactElement, type ReactNode, useState } from "react";
import { Button } from "./index";

/**
 * Asks before anything destructive or privilege-raising, and says what will happen
 * ("Revoke token “ci-deploy” (tok_…)? Requests with it fail at once.").
 *
 * Radix AlertDialog: focus is trapped inside, Escape and Cancel change nothing, a click outside
 * does not close it, and Cancel — not the action — has the focus when it opens, so Enter on a
 * dialog opened by accident does nothing harmful.
 *
 * `onConfirm` may return a promise (a mutation's `mutateAsync`): the dialog stays open with the
 * button busy until it settles, then closes either way; the caller reports the result (a toast).
 * Open it with `trigger` (the button that opens it), or control it with `open`/`onOpenChange`
 * (e.g. a role picked in a select).
 */
export function ConfirmDialog({
  trigger,
  open: controlledOpen,
  onOpenChange,
  title,
  description,
  children,
  confirmLabel,
  tone = "danger",
  onConfirm,
}: {
  trigger?: ReactElement;
  open?: boolean;
  onOpenChange?: (open: boolean) => void;
  title: string;
  description: ReactNode;
  children?: ReactNode;
  confirmLabel: string;
  tone?: "danger" | "primary";
  onConfirm: () => unknown;
}) {
  const [ownOpen, setOwnOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const open = controlledOpen ?? ownOpen;
  const setOpen = (next: boolean) => {
    if (busy && !next) return;
    setOwnOpen(next);
    onOpenChange?.(next);
  };

  async function confirm() {
    setBusy(true);
    try {
      await onConfirm();
    } catch {
      // The caller's mutation reports its own failure (onError -> toast); the dialog just closes.
    } finally {
      setBusy(false);
      setOwnOpen(false);
      onOpenChange?.(false);
    }
  }

  return (
    <AlertDialog.Root open={open} onOpenChange={setOpen}>
      {trigger ? <AlertDialog.Trigger asChild>{trigger}</AlertDialog.Trigger> : null}
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="fixed inset-0 z-40 bg-slate-900/40" />
        <AlertDialog.Content
          data-testid="confirm-dialog"
          className="fixed top-1/2 left-1/2 z-50 w-[calc(100vw-2rem)] max-w-md -translate-x-1/2 -translate-y-1/2 space-y-4 rounded-lg bg-white p-5 shadow-xl ring-1 ring-slate-200 focus:outline-none"
        >
          <AlertDialog.Title className="text-base font-semibold text-slate-900 break-words">{title}</AlertDialog.Title>
          <AlertDialog.Description asChild>
            <div className="space-y-2 text-sm text-slate-700 break-words">{description}</div>
          </AlertDialog.Description>
          {children}
          <div className="flex flex-wrap justify-end gap-2 pt-1">
            <AlertDialog.Cancel asChild>
              <Button variant="secondary" disabled={busy}>
                Cancel
              </Button>
            </AlertDialog.Cancel>
            <Button
              variant={tone}
              disabled={busy}
              aria-busy={busy || undefined}
              data-testid="confirm-action"
              onClick={() => void confirm()}
            >
              {busy ? "Working…" : confirmLabel}
            </Button>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
