"use client";

import { useState } from "react";
import { Alert, Button, Card, Field, Input } from "../ui";
import type { FreshCredentials } from "./oauth-clients-shared";

/** The client_id and, for a confidential client, its secret: shown once, with copy buttons. */
export function CredentialsNotice({ fresh, onDismiss }: { fresh: FreshCredentials; onDismiss: () => void }) {
  const [copied, setCopied] = useState<"id" | "secret" | null>(null);
  const copy = async (what: "id" | "secret", value: string) => {
    await navigator.clipboard.writeText(value);
    setCopied(what);
  };
  return (
    <Card title={fresh.title}>
      <div className="space-y-3">
        {fresh.clientSecret ? (
          <Alert kind="warning">
            Copy the client secret now and store it where the application can read it. It is shown only this once:
            Gatehouse keeps only a hash and cannot show it again.
          </Alert>
        ) : (
          <Alert kind="info">This is a public client: it has no secret and must use PKCE.</Alert>
        )}
        <Field label="client_id" htmlFor="oauth-new-client-id">
          <div className="flex gap-2">
            <Input
              id="oauth-new-client-id"
              readOnly
              value={fresh.clientId}
              data-testid="new-client-id"
              className="font-mono"
            />
            <Button variant="secondary" onClick={() => copy("id", fresh.clientId)}>
              {copied === "id" ? "Copied" : "Copy"}
            </Button>
          </div>
        </Field>
        {fresh.clientSecret ? (
          <Field label="client_secret" htmlFor="oauth-new-client-secret">
            <div className="flex gap-2">
              <Input
                id="oauth-new-client-secret"
                readOnly
                value={fresh.clientSecret}
                data-testid="new-client-secret"
                className="font-mono"
              />
              <Button variant="secondary" onClick={() => copy("secret", fresh.clientSecret as string)}>
                {copied === "secret" ? "Copied" : "Copy"}
              </Button>
            </div>
          </Field>
        ) : null}
        <Button variant="ghost" onClick={onDismiss}>
          Done
        </Button>
      </div>
    </Card>
  );
}
