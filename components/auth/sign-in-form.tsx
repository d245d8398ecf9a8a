"use client";

import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { type FormEvent, useState } from "react";
import { Alert, Button, Card, Field, Input } from "../ui";

export function SignInForm({ returnTo }: { returnTo: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const form = new FormData(event.currentTarget);
    const result = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    if (!result || result.error) {
      // One message for unknown email, wrong password and disabled account; a lockout (429)
      // and a fail-closed outage (503) are told apart only by their status.
      setError(
        result?.status === 429
          ? "Too many failed sign-ins: signing in is locked for a while. Try again later."
          : result?.status === 503
            ? "Sign-in is temporarily unavailable. Try again in a moment."
            : "Wrong email or password.",
      );
      setBusy(false);
      return;
    }
    if (returnTo.startsWith("/oauth/")) {
      // The authorization endpoint is a route handler that redirects (maybe to
      // another site): it needs a real navigation, not a client-side transition.
      window.location.assign(returnTo);
      return;
    }
    router.replace(returnTo);
    router.refresh();
  }

  return (
    <Card>
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        {error ? <Alert>{error}</Alert> : null}
        <Field label="Email" htmlFor="email">
          <Input id="email" name="email" type="email" autoComplete="username" required maxLength={254} />
        </Field>
        <Field label="Password" htmlFor="password">
          <Input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            maxLength={256}
          />
        </Field>
        <Button type="submit" className="w-full" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </Button>
      </form>
    </Card>
  );
}
