"use client";

import * as AlertDialog from "@radix-ui/react-alert-dialog";
import { type PublicKeyCredentialRequestOptionsJSON, startAuthentication } from "@simplewebauthn/browser";
import { type Mutation, QueryClientContext, useMutation } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { type FormEvent, type ReactElement, type ReactNode, useContext, useState } from "react";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Button, Field, Input } from "./index";

/** The server's answer to a dangerous action without a recent second-factor check (server/auth/step-up.ts). */
export function isStepUpRequired(error: unknown): boolean {
  return error instanceof TRPCClientError && error.data?.reason === "step_up_required";
}

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
 *
 * Step-up: when the confirmed action answers 403 `step_up_required` (its last second-factor check
 * is older than ten minutes), the dialog stays open and asks for a code from the authenticator
 * app (or a recovery code), records it with account.stepUp, then runs the action again. It sees
 * that answer whether `onConfirm` rejects with it or handles it itself (a `.then(ok, failed)`):
 * it watches the mutations that fail while the action runs. So no page needs to know.
 */
export function ConfirmDialog(props: {
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
  // Outside a tRPC/React Query tree (no mutations to watch) the dialog is the plain one.
  return useContext(QueryClientContext) ? <StepUpConfirmDialog {...props} /> : <PlainConfirmDialog {...props} />;
}

type Props = Parameters<typeof ConfirmDialog>[0];

function PlainConfirmDialog(props: Props) {
  return <DialogFrame {...props} runAction={async () => ({ stepUp: false, run: await settle(props.onConfirm) })} />;
}

async function settle(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    // The caller's mutation reports its own failure (onError -> toast); the dialog just closes.
    return error;
  }
  return null;
}

function StepUpConfirmDialog(props: Props) {
  const queryClient = useContext(QueryClientContext);
  const trpc = useTRPC();
  const stepUp = useMutation(trpc.account.stepUp.mutationOptions());
  const passkeyOptions = useMutation(trpc.account.stepUpPasskeyOptions.mutationOptions());
  const stepUpWithPasskey = useMutation(trpc.account.stepUpWithPasskey.mutationOptions());
  return (
    <DialogFrame
      {...props}
      runAction={async () => {
        let asked = false;
        const watch = (mutation: Mutation<unknown, unknown, unknown, unknown> | undefined) => {
          if (mutation && isStepUpRequired(mutation.state.error)) asked = true;
        };
        const unsubscribe = queryClient?.getMutationCache().subscribe((event) => {
          if (event.type === "updated" && event.action.type === "error") watch(event.mutation);
        });
        const error = await settle(props.onConfirm);
        unsubscribe?.();
        return { stepUp: asked || isStepUpRequired(error), run: error };
      }}
      stepUp={(code) => stepUp.mutateAsync({ code })}
      stepUpWithPasskey={async () => {
        const options = await passkeyOptions.mutateAsync();
        // The server's options are the library's own JSON; tRPC's inferred type only loses the brand.
        const answer = await startAuthentication({
          optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON,
        }).catch(() => {
          throw new Error("No passkey was used (the prompt was cancelled or timed out).");
        });
        await stepUpWithPasskey.mutateAsync({ passkey: JSON.stringify(answer) });
      }}
    />
  );
}

function DialogFrame({
  trigger,
  open: controlledOpen,
  onOpenChange,
  title,
  description,
  children,
  confirmLabel,
  tone = "danger",
  runAction,
  stepUp,
  stepUpWithPasskey,
}: Props & {
  runAction: () => Promise<{ stepUp: boolean; run: unknown }>;
  stepUp?: (code: string) => Promise<unknown>;
  stepUpWithPasskey?: () => Promise<unknown>;
}) {
  const [ownOpen, setOwnOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [askCode, setAskCode] = useState(false);
  const [codeError, setCodeError] = useState<string | null>(null);
  const open = controlledOpen ?? ownOpen;
  const close = () => {
    setAskCode(false);
    setCodeError(null);
    setOwnOpen(false);
    onOpenChange?.(false);
  };
  const setOpen = (next: boolean) => {
    if (busy && !next) return;
    if (!next) return close();
    setOwnOpen(next);
    onOpenChange?.(next);
  };

  async function confirm() {
    setBusy(true);
    try {
      const outcome = await runAction();
      if (outcome.stepUp && stepUp) {
        setAskCode(true);
        return;
      }
      close();
    } finally {
      setBusy(false);
    }
  }

  async function onCode(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!stepUp) return;
    const code = String(new FormData(event.currentTarget).get("step-up-code") ?? "");
    setBusy(true);
    setCodeError(null);
    try {
      await stepUp(code);
    } catch (error) {
      setCodeError(errorMessage(error));
      setBusy(false);
      return;
    }
    setBusy(false);
    setAskCode(false);
    await confirm();
  }

  async function onPasskey() {
    if (!stepUpWithPasskey) return;
    setBusy(true);
    setCodeError(null);
    try {
      await stepUpWithPasskey();
    } catch (error) {
      setCodeError(errorMessage(error));
      setBusy(false);
      return;
    }
    setBusy(false);
    setAskCode(false);
    await confirm();
  }

  return (
    <AlertDialog.Root open={open} onOpenChange={setOpen}>
      {trigger ? <AlertDialog.Trigger asChild>{trigger}</AlertDialog.Trigger> : null}
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="fixed inset-0 z-40 bg-black/50" />
        <AlertDialog.Content
          data-testid="confirm-dialog"
          className="fixed top-1/2 left-1/2 z-50 w-[calc(100vw-2rem)] max-w-md -translate-x-1/2 -translate-y-1/2 space-y-4 rounded-lg bg-white p-5 shadow-xl ring-1 ring-slate-200 focus:outline-none"
        >
          <AlertDialog.Title className="text-base font-semibold text-slate-900 break-words">{title}</AlertDialog.Title>
          <AlertDialog.Description asChild>
            <div className="space-y-2 text-sm text-slate-700 break-words">{description}</div>
          </AlertDialog.Description>
          {children}
          {askCode ? (
            <form className="space-y-3" onSubmit={onCode} noValidate aria-label="Confirm with your second factor">
              <p className="text-sm text-slate-700">
                This needs a fresh check of your second factor: enter a code from your authenticator app (or a recovery
                code), or use a passkey.
              </p>
              {codeError ? <Alert>{codeError}</Alert> : null}
              <Field label="Authentication code" htmlFor="step-up-code">
                <Input
                  id="step-up-code"
                  name="step-up-code"
                  autoComplete="one-time-code"
                  autoCapitalize="off"
                  spellCheck={false}
                  maxLength={32}
                  required
                />
              </Field>
              <div className="flex flex-wrap justify-end gap-2 pt-1">
                <AlertDialog.Cancel asChild>
                  <Button variant="secondary" disabled={busy}>
                    Cancel
                  </Button>
                </AlertDialog.Cancel>
                {stepUpWithPasskey ? (
                  <Button type="button" variant="secondary" disabled={busy} onClick={() => void onPasskey()}>
                    Use a passkey
                  </Button>
                ) : null}
                <Button type="submit" variant={tone} disabled={busy} data-testid="step-up-submit">
                  {busy ? "Working…" : `Verify and ${confirmLabel.toLowerCase()}`}
                </Button>
              </div>
            </form>
          ) : (
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
          )}
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
