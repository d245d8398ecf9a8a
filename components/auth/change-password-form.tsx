"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Button, Card, Field, Input } from "../ui";

export function ChangePasswordForm({ forced, email, returnTo }: { forced: boolean; email: string; returnTo: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation(
    trpc.account.changePassword.mutationOptions({
      onSuccess: () => {
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
    change.mutate({ currentPassword: String(form.get("currentPassword") ?? ""), newPassword: next });
  }

  return (
    <Card>
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        {forced ? (
          <Alert kind="warning">
            You signed in as {email} with a one-time password. Choose your own password to continue.
          </Alert>
        ) : null}
        {change.error ? <Alert>{errorMessage(change.error)}</Alert> : null}
        {mismatch ? <Alert>The two new passwords differ.</Alert> : null}
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
