"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { z } from "zod";
import { changePasswordForm } from "@/server/routers/account/schemas";
import { useTRPC } from "../trpc";
import { Alert, Button, Card, Input } from "../ui";
import { FormField, FormMessage, showRefusal, useSchemaForm } from "../ui/form";

/**
 * account.changePassword's own schema (the length rules; the server adds its check against common and
 * breached passwords, whose refusal shows under "New password"), plus the form's second copy.
 */
const changePasswordValues = changePasswordForm
  .extend({ confirmPassword: z.string() })
  .refine((v) => v.confirmPassword === v.newPassword, {
    message: "must be the same as the new password",
    path: ["confirmPassword"],
  });
type PasswordValues = z.input<typeof changePasswordValues>;
const EMPTY: PasswordValues = { currentPassword: "", newPassword: "", confirmPassword: "" };

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
  const [changed, setChanged] = useState(false);
  const change = useMutation(trpc.account.changePassword.mutationOptions());
  const form = useSchemaForm(changePasswordValues, { defaultValues: EMPTY });

  const onSubmit = form.handleSubmit(async ({ currentPassword, newPassword }) => {
    setChanged(false);
    try {
      await change.mutateAsync({ currentPassword, newPassword });
    } catch (error) {
      showRefusal(form, error, {
        fields: ["currentPassword", "newPassword"],
        reasons: { wrong_password: "currentPassword", weak_password: "newPassword" },
      });
      return;
    }
    if (onChanged) {
      form.reset(EMPTY);
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
  });

  return (
    <Card>
      <form onSubmit={onSubmit} className="space-y-4" noValidate aria-label="Change password">
        {forced ? (
          <Alert kind="warning">
            You signed in as {email} with a one-time password. Choose your own password to continue.
          </Alert>
        ) : null}
        <FormMessage form={form} />
        {changed ? <Alert kind="success">Password changed. Your other sessions were ended.</Alert> : null}
        <FormField form={form} name="currentPassword" label="Current password" id="currentPassword">
          {(control) => <Input {...control} type="password" autoComplete="current-password" />}
        </FormField>
        <FormField
          form={form}
          name="newPassword"
          label="New password"
          id="newPassword"
          hint="At least 12 characters, and not a common or breached password. A passphrase of a few unrelated words is easiest."
        >
          {(control) => <Input {...control} type="password" autoComplete="new-password" />}
        </FormField>
        <FormField form={form} name="confirmPassword" label="New password again" id="confirmPassword">
          {(control) => <Input {...control} type="password" autoComplete="new-password" />}
        </FormField>
        <Button type="submit" className="w-full" disabled={form.formState.isSubmitting}>
          {form.formState.isSubmitting ? "Saving…" : "Change password"}
        </Button>
      </form>
    </Card>
  );
}
