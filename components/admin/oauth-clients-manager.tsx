"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../trpc";
import { CredentialsNotice } from "./oauth-client-credentials";
import { RegisterClientForm } from "./oauth-client-form";
import { ClientList } from "./oauth-client-list";
import type { FreshCredentials } from "./oauth-clients-shared";
import { SigningKeys } from "./oauth-signing-keys";

/**
 * The "OAuth clients" page: register applications, rotate their secrets,
 * disable or delete them, see and revoke what users have granted them, and
 * rotate the key that signs access tokens.
 */
export function OAuthClientsManager() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [fresh, setFresh] = useState<FreshCredentials | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.oauthClients.pathKey() });

  return (
    <div className="space-y-6">
      {fresh ? <CredentialsNotice fresh={fresh} onDismiss={() => setFresh(null)} /> : null}
      <RegisterClientForm
        onCreated={(created) => {
          setFresh({
            title: `Registered “${created.client.name}”`,
            clientId: created.client.id,
            clientSecret: created.clientSecret,
          });
          void refresh();
        }}
      />
      <ClientList
        onRotated={(rotated) => {
          setFresh({
            title: `New secret for “${rotated.client.name}”`,
            clientId: rotated.client.id,
            clientSecret: rotated.clientSecret,
          });
          void refresh();
        }}
        onChanged={refresh}
      />
      <SigningKeys />
    </div>
  );
}
