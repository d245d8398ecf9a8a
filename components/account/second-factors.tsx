"use client";

import { type PublicKeyCredentialCreationOptionsJSON, startRegistration, WebAuthnError } from "@simplewebauthn/browser";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, Field, formatTime, Input, Table } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";

type Enrolment = { factorId: string; secret: string; uri: string; qrSvg: string };

/**
 * The signed-in person's second factors: set up an authenticator app (QR
 * code drawn on the server, the secret for typing by hand, confirmed with a
 * first code), remove one, and the recovery codes (shown once, when made).
 * Removing a factor and new recovery codes ask for a code first when the
 * last check is older than ten minutes (the confirmation dialog does that).
 */
export function SecondFactors() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.account.secondFactors.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.account.secondFactors.list.queryKey() });
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [wasRequired, setWasRequired] = useState(false);

  const start = useMutation(trpc.account.secondFactors.startTotp.mutationOptions());
  const confirm = useMutation(trpc.account.secondFactors.confirmTotp.mutationOptions());
  const remove = useMutation(trpc.account.secondFactors.remove.mutationOptions());
  const regenerate = useMutation(trpc.account.secondFactors.regenerateRecoveryCodes.mutationOptions());
  const startPasskey = useMutation(trpc.account.secondFactors.startPasskey.mutationOptions());
  const confirmPasskey = useMutation(trpc.account.secondFactors.confirmPasskey.mutationOptions());
  const [passkeyProblem, setPasskeyProblem] = useState<string | null>(null);
  const [passkeyBusy, setPasskeyBusy] = useState(false);

  const data = list.data;
  const failure =
    list.error ?? start.error ?? remove.error ?? regenerate.error ?? startPasskey.error ?? confirmPasskey.error;

  /** Options from the server, the browser's own passkey prompt, then the server verifies and stores it. */
  async function onAddPasskey(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("passkey-name") ?? "").trim() || "Passkey";
    setNotice(null);
    setCodes(null);
    setPasskeyProblem(null);
    setWasRequired(data?.required ?? false);
    setPasskeyBusy(true);
    try {
      const optionsJSON = await startPasskey.mutateAsync().catch(() => null);
      if (!optionsJSON) return;
      let response: Awaited<ReturnType<typeof startRegistration>>;
      try {
        // The server's options are the library's own JSON; tRPC's inferred (serialised) type only loses the brand.
        response = await startRegistration({
          optionsJSON: optionsJSON as unknown as PublicKeyCredentialCreationOptionsJSON,
        });
      } catch (error) {
        // Cancelled, timed out, or this authenticator is registered already (excludeCredentials).
        setPasskeyProblem(
          error instanceof WebAuthnError && error.code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED"
            ? "This passkey is registered already."
            : "No passkey was created (the prompt was cancelled or timed out).",
        );
        return;
      }
      const result = await confirmPasskey.mutateAsync({ name, response: JSON.stringify(response) }).catch(() => null);
      if (!result) return;
      setCodes(result.recoveryCodes);
      setNotice(`Your passkey “${name}” is set up. Signing in can now ask for it after your password.`);
      void refresh();
    } finally {
      setPasskeyBusy(false);
    }
  }

  async function onConfirmCode(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!enrolment) return;
    const code = String(new FormData(event.currentTarget).get("code") ?? "");
    setWasRequired(data?.required ?? false);
    const result = await confirm.mutateAsync({ factorId: enrolment.factorId, code }).catch(() => null);
    if (!result) return;
    setEnrolment(null);
    setCodes(result.recoveryCodes);
    setNotice("Your authenticator app is set up. From now on, signing in asks for a code from it.");
    void refresh();
  }

  return (
    <section id="second-factors" aria-labelledby="second-factors-heading" className="space-y-3">
      <Card
        title="Two-step sign-in"
        actions={
          enrolment ? null : (
            <Button
              variant={data?.factors.length ? "secondary" : "primary"}
              disabled={start.isPending}
              onClick={() => {
                setNotice(null);
                setCodes(null);
                start.mutate({}, { onSuccess: setEnrolment });
              }}
            >
              {start.isPending
                ? "Preparing…"
                : data?.factors.length
                  ? "Add an authenticator app"
                  : "Set up an authenticator app"}
            </Button>
          )
        }
      >
        <div className="space-y-3">
          <h2 id="second-factors-heading" className="sr-only">
            Two-step sign-in
          </h2>
          {data?.required ? (
            <div data-testid="second-factor-required">
              <Alert kind="info">
                Administrators must use two-step sign-in. Set up an authenticator app or add a passkey to continue to
                the dashboard.
              </Alert>
            </div>
          ) : null}
          {failure ? <Alert>{errorMessage(failure)}</Alert> : null}
          {passkeyProblem ? <Alert>{passkeyProblem}</Alert> : null}
          {notice ? <Alert kind="success">{notice}</Alert> : null}
          {wasRequired && codes ? (
            <p className="text-sm">
              <a className="text-brand-700 underline" href="/admin">
                Continue to the dashboard
              </a>
            </p>
          ) : null}

          {enrolment ? (
            <div className="space-y-3 rounded-md p-3 ring-1 ring-slate-200" data-testid="totp-enrolment">
              <p className="text-sm text-slate-700">
                Scan this code with your authenticator app (or type the key below), then enter the six-digit code it
                shows.
              </p>
              <div
                className="h-48 w-48 bg-white"
                role="img"
                aria-label="QR code for your authenticator app"
                // Markup drawn by the server (qrcode's SVG: paths and presentation attributes, no script, no style).
                // biome-ignore lint/security/noDangerouslySetInnerHtml: trusted SVG from our own server, see above
                dangerouslySetInnerHTML={{ __html: enrolment.qrSvg }}
              />
              <p className="text-sm">
                Key:{" "}
                <code data-testid="totp-secret" className="font-mono break-all">
                  {enrolment.secret}
                </code>
              </p>
              <form className="flex items-end gap-2" onSubmit={onConfirmCode} noValidate aria-label="Confirm the app">
                <Field label="Code from the app" htmlFor="totp-code">
                  <Input
                    id="totp-code"
                    name="code"
                    inputMode="numeric"
                    autoComplete="one-time-code"
                    maxLength={6}
                    required
                  />
                </Field>
                <Button type="submit" disabled={confirm.isPending}>
                  {confirm.isPending ? "Checking…" : "Confirm"}
                </Button>
                <Button type="button" variant="ghost" onClick={() => setEnrolment(null)}>
                  Cancel
                </Button>
              </form>
              {confirm.error ? <Alert>{errorMessage(confirm.error)}</Alert> : null}
            </div>
          ) : null}

          {enrolment ? null : (
            <form
              className="flex flex-wrap items-end gap-2"
              onSubmit={onAddPasskey}
              noValidate
              aria-label="Add a passkey"
            >
              <Field label="Passkey name" htmlFor="passkey-name">
                <Input id="passkey-name" name="passkey-name" defaultValue="Passkey" maxLength={64} required />
              </Field>
              <Button type="submit" variant="secondary" disabled={passkeyBusy}>
                {passkeyBusy ? "Waiting for the passkey…" : "Add a passkey"}
              </Button>
            </form>
          )}

          {codes?.length ? (
            <div className="space-y-2 rounded-md bg-amber-50 p-3 ring-1 ring-amber-200" data-testid="recovery-codes">
              <p className="text-sm font-medium text-amber-900">
                Your recovery codes: each works once, instead of a code from the app or your passkey. Keep them
                somewhere safe; they are shown only now.
              </p>
              <ul className="grid grid-cols-2 gap-1 font-mono text-sm">
                {codes.map((code) => (
                  <li key={code} data-testid="recovery-code">
                    {code}
                  </li>
                ))}
              </ul>
              <Button variant="secondary" onClick={() => setCodes(null)}>
                I have saved them
              </Button>
            </div>
          ) : null}

          <Table
            head={["Factor", "Added", "Last used", ""]}
            empty={
              list.isSuccess && data?.factors.length === 0 ? (
                <p className="px-3 py-6 text-center text-sm text-slate-500">
                  No second factor yet: signing in needs only your password.
                </p>
              ) : null
            }
          >
            {(data?.factors ?? []).map((factor) => (
              <tr key={factor.id} data-testid="second-factor-row">
                <td className="px-3 py-2">
                  {factor.label} <Badge tone="slate">{factor.kind === "totp" ? "authenticator app" : "passkey"}</Badge>
                </td>
                <td className="px-3 py-2 text-slate-600">{formatTime(factor.createdAt)}</td>
                <td className="px-3 py-2 text-slate-600">{formatTime(factor.lastUsedAt)}</td>
                <td className="px-3 py-2 text-right">
                  <ConfirmDialog
                    trigger={
                      <Button variant="secondary" aria-label={`Remove ${factor.label}`}>
                        Remove
                      </Button>
                    }
                    title={`Remove ${factor.label}?`}
                    description={
                      <p>
                        {factor.kind === "passkey" ? "It stops working at once." : "Its codes stop working at once."}
                        {data && data.factors.length === 1
                          ? " It is your last second factor: your recovery codes go too, and signing in needs only your password."
                          : ""}
                      </p>
                    }
                    confirmLabel="Remove"
                    onConfirm={() =>
                      remove.mutateAsync({ id: factor.id }).then(() => {
                        setNotice(`Removed ${factor.label}.`);
                        void refresh();
                      })
                    }
                  />
                </td>
              </tr>
            ))}
          </Table>

          {data && data.factors.length > 0 ? (
            <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
              <span data-testid="recovery-codes-left">{data.recoveryCodesLeft} of 10 recovery codes left.</span>
              <ConfirmDialog
                trigger={<Button variant="secondary">Make new recovery codes</Button>}
                title="Make new recovery codes?"
                description={<p>Your current recovery codes stop working; the new ones are shown once.</p>}
                confirmLabel="Make new codes"
                tone="primary"
                onConfirm={() =>
                  regenerate.mutateAsync().then((result) => {
                    setCodes(result.recoveryCodes);
                    void refresh();
                  })
                }
              />
            </div>
          ) : null}
        </div>
      </Card>
    </section>
  );
}
