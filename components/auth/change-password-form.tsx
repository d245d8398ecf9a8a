"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useRef, useState } from "react";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Button, Card, Field, Input } from "../ui";

/**
 * Change one's own password. Without `onChanged` (the change-password page) the person is then sent on to
 * `returnTo`; with it (the account page) the form stays, says so, and empties itself.
 */
export function ChangePasswordForm({
  forced,
  email,
  returnTo,
  onChanged,
}: {
  forced: boolean;
  email: string;
  returnTo: string;
  onChanged?: () => void;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const formRef = useRef<HTMLFormElement>(null);
  const [mismatch, setMismatch] = useState(false);
  const [changed, setChanged] = useState(false);
  const change = useMutation(
    trpc.account.changePassword.mutationOptions({
      onSuccess: () => {
        if (onChanged) {
          formRef.current?.reset();
          setChanged(true);
          onChanged();
          return;
        }
        // returnTo was checked on the server (server/security/return-to.ts). The authorization
        // endpoint is a route handler that redirects: it needs a real navigation.
        if (returnTo.startsWith("/oauth/")) {
          window.location.assign(returnTo);
          return;
        }
        router.replace(returnTo);
        router.refresh();
      },
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = String(form.get("newPassword") ?? "");
    if (next !== String(form.get("confirmPassword") ?? "")) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    setChanged(false);
    change.mutate({ currentPassword: String(form.get("currentPassword") ?? ""), newPassword: next });
  }

  return (
    <Card>
      <form ref={formRef} onSubmit={onSubmit} className="space-y-4" noValidate>
        {forced ? (
          <Alert kind="warning">
            You signed in as {email} with a one-time password. Choose your own password to continue.
          </Alert>
        ) : null}
        {change.error ? <Alert>{errorMessage(change.error)}</Alert> : null}
        {mismatch ? <Alert>The two new passwords differ.</Alert> : null}
        {changed ? <Alert kind="success">Password changed. Your other sessions were ended.</Alert> : null}
        <Field label="Current password" htmlFor="currentPassword">
          <Input id="currentPassword" name="currentPassword" type="password" autoComplete="current-password" required />
        </Field>
        <Field
          label="New password"
          htmlFor="newPassword"
          hint="At least 12 characters, and not a common or breached password. A passphrase of a few unrelated words is easiest."
        >
          <Input
            id="newPassword"
            name="newPassword"
            type="password"
            autoComplete="new-password"
            minLength={12}
            maxLength={256}
            required
          />
        </Field>
        <Field label="New password again" htmlFor="confirmPassword">
          <Input id="confirmPassword" name="confirmPassword" type="password" autoComplete="new-password" required />
        </Field>
        <Button type="submit" className="w-full" disabled={change.isPending}>
          {change.isPending ? "Saving…" : "Change password"}
        </Button>
      </form>
    </Card>
  );
}
