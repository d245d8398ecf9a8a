"use client";

import { useQueryClient } from "@tanstack/react-query";
import { ChangePasswordForm } from "../auth/change-password-form";
import { useTRPC } from "../trpc";

/** The change-password form on the account page: it stays, and the session list shows the others ended. */
export function AccountPassword({ email }: { email: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return (
    <ChangePasswordForm
      forced={false}
      email={email}
      returnTo="/account"
      onChanged={() => void queryClient.invalidateQueries({ queryKey: trpc.account.sessions.queryKey() })}
    />
  );
}
