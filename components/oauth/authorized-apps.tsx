"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { SCOPES } from "@/server/auth/scopes";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Button, Card, formatTime } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";

/** The applications the signed-in person has allowed to use their account, each revocable. */
export function AuthorizedApps() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.oauthApps.list.queryOptions());
  const [notice, setNotice] = useState<string | null>(null);
  const revoke = useMutation(trpc.oauthApps.revoke.mutationOptions());
  const apps = list.data ?? [];

  return (
    <Card title={`Authorised apps${list.data ? ` (${apps.length})` : ""}`}>
      <div className="space-y-3">
        {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
        {revoke.error ? <Alert>{errorMessage(revoke.error)}</Alert> : null}
        {notice ? <Alert kind="success">{notice}</Alert> : null}
        {list.isSuccess && apps.length === 0 ? (
          <p className="py-6 text-center text-sm text-slate-500">You have not authorised any application.</p>
        ) : null}
        <ul className="divide-y divide-slate-100">
          {apps.map((app) => (
            <li
              key={app.clientId}
              data-testid="authorized-app"
              className="flex flex-wrap items-start justify-between gap-4 py-4"
            >
              <div className="space-y-2">
                <h3 className="font-medium text-slate-900">{app.clientName}</h3>
                <div>
                  <p className="text-sm text-slate-600">It can:</p>
                  <ul className="ml-5 list-disc text-sm text-slate-800">
                    {app.scopes.map((scope) => (
                      <li key={scope}>
                        {SCOPES[scope]} <code className="text-xs text-slate-500">{scope}</code>
                      </li>
                    ))}
                  </ul>
                </div>
                <p className="text-xs text-slate-500">
                  Authorised {formatTime(app.consentedAt)}
                  {app.updatedAt !== app.consentedAt ? ` · last extended ${formatTime(app.updatedAt)}` : ""} ·{" "}
                  {app.activeGrants === 1 ? "1 active authorization" : `${app.activeGrants} active authorizations`}
                </p>
              </div>
              <ConfirmDialog
                trigger={
                  <Button variant="danger" aria-label={`Revoke ${app.clientName}`} disabled={revoke.isPending}>
                    Revoke
                  </Button>
                }
                title={`Revoke ${app.clientName}’s access?`}
                description={<p>Its tokens stop working now, and it must ask you again to come back.</p>}
                confirmLabel="Revoke access"
                onConfirm={() => {
                  setNotice(null);
                  return revoke.mutateAsync({ clientId: app.clientId }).then(() => {
                    setNotice(`${app.clientName} no longer has access to your account.`);
                    void queryClient.invalidateQueries({ queryKey: trpc.oauthApps.pathKey() });
                  });
                }}
              />
            </li>
          ))}
        </ul>
      </div>
    </Card>
  );
}
