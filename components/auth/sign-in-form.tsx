"use client";

import { type PublicKeyCredentialRequestOptionsJSON, startAuthentication } from "@simplewebauthn/browser";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { type FormEvent, useState } from "react";
import { useTRPC } from "../trpc";
import { Alert, Button, Card, Field, Input } from "../ui";

type SignInAnswer = Awaited<ReturnType<typeof signIn>> | undefined;

/** The lockout (429) and the fail-closed outage (503) read the same at either step. */
function refusalMessage(result: SignInAnswer): string | null {
  if (result?.status === 429) return "Too many failed sign-ins: signing in is locked for a while. Try again later.";
  if (result?.status === 503) return "Sign-in is temporarily unavailable. Try again in a moment.";
  return null;
}

/**
 * Two steps (server/auth/sign-in.ts): the password; then, for an account
 * with a second factor, a code from the authenticator app or a recovery
 * code, or a passkey ("Use a passkey": signIn.passkeyOptions issues a
 * challenge bound to the pending sign-in, the browser's passkey prompt
 * answers it, and the answer goes to the same credentials endpoint as a
 * code). The pending sign-in between them is an HttpOnly cookie this script
 * never sees; only the email is kept here, to send again with the answer.
 */
export function SignInForm({ returnTo }: { returnTo: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [secondStepFor, setSecondStepFor] = useState<string | null>(null);
  const trpc = useTRPC();
  const passkeyOptions = useMutation(trpc.signIn.passkeyOptions.mutationOptions());

  function done() {
    if (returnTo.startsWith("/oauth/")) {
      // The authorization endpoint is a route handler that redirects (maybe to
      // another site): it needs a real navigation, not a client-side transition.
      window.location.assign(returnTo);
      return;
    }
    router.replace(returnTo);
    router.refresh();
  }

  async function onPassword(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "");
    const result = await signIn("credentials", {
      email,
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    setBusy(false);
    if (result && !result.error) return done();
    if (result?.code === "second_factor") {
      setSecondStepFor(email);
      return;
    }
    // One message for unknown email, wrong password and disabled account.
    setError(refusalMessage(result) ?? "Wrong email or password.");
  }

  async function onCode(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    await secondStep({ code: String(form.get("code") ?? "") });
  }

  async function onPasskey() {
    setBusy(true);
    setError(null);
    const optionsJSON = await passkeyOptions.mutateAsync().catch((failure: { data?: { reason?: string } }) => {
      const reason = failure?.data?.reason;
      if (reason === "sign_in_expired") {
        setSecondStepFor(null);
        setError("The sign-in took too long or had too many wrong codes. Enter your password again.");
      } else if (reason === "no_passkey") setError("This account has no passkey: enter a code instead.");
      else setError("The passkey could not be asked for. Try again, or enter a code.");
      return null;
    });
    if (!optionsJSON) return setBusy(false);
    let answer: Awaited<ReturnType<typeof startAuthentication>>;
    try {
      // The server's options are the library's own JSON; tRPC's inferred (serialised) type only loses the brand.
      answer = await startAuthentication({
        optionsJSON: optionsJSON as unknown as PublicKeyCredentialRequestOptionsJSON,
      });
    } catch {
      setBusy(false);
      setError("No passkey was used (the prompt was cancelled or timed out).");
      return;
    }
    await secondStep({ passkey: JSON.stringify(answer) });
  }

  async function secondStep(answer: { code: string } | { passkey: string }) {
    setBusy(true);
    setError(null);
    const result = await signIn("credentials", { email: secondStepFor ?? "", ...answer, redirect: false });
    setBusy(false);
    if (result && !result.error) return done();
    if (result?.code === "sign_in_expired") {
      setSecondStepFor(null);
      setError("The sign-in took too long or had too many wrong codes. Enter your password again.");
      return;
    }
    setError(refusalMessage(result) ?? "That code is not right, or it was used already.");
  }

  if (secondStepFor !== null) {
    return (
      <Card>
        <form onSubmit={onCode} className="space-y-4" noValidate data-testid="second-factor-step">
          {error ? <Alert>{error}</Alert> : null}
          <p className="text-sm text-slate-600">
            Enter the six-digit code from your authenticator app or one of your recovery codes, or use a passkey.
          </p>
          <Field label="Authentication code" htmlFor="code">
            <Input
              id="code"
              name="code"
              type="text"
              autoComplete="one-time-code"
              autoCapitalize="off"
              spellCheck={false}
              required
              maxLength={32}
              autoFocus
            />
          </Field>
          <Button type="submit" className="w-full" disabled={busy}>
            {busy ? "Checking…" : "Verify"}
          </Button>
          <Button type="button" variant="secondary" className="w-full" disabled={busy} onClick={onPasskey}>
            Use a passkey
          </Button>
          <button
            type="button"
            className="w-full text-center text-sm text-slate-500 underline"
            onClick={() => {
              setSecondStepFor(null);
              setError(null);
            }}
          >
            Start again
          </button>
        </form>
      </Card>
    );
  }

  return (
    <Card>
      <form onSubmit={onPassword} className="space-y-4" noValidate>
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
