"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, formatTime, Table, toast } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";

/** The keys that sign access tokens (published in the JWKS), and their rotation. */
export function SigningKeys() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.admin.oauthClients.signingKeys.queryOptions());
  const rotate = useMutation(
    trpc.admin.oauthClients.rotateSigningKey.mutationOptions({
      onError: (error) => toast.error("The signing keys were not rotated", errorMessage(error)),
      onSuccess: (r) => {
        toast.success(
          `New signing keys: ${r.rotated.map((k) => `${k.kid} (${k.alg})`).join(", ")}.`,
          "Tokens signed by the previous keys stay valid until they expire.",
        );
        void queryClient.invalidateQueries({ queryKey: trpc.admin.oauthClients.signingKeys.pathKey() });
      },
    }),
  );
  const items = keys.data?.items ?? [];
  return (
    <Card
      title="Signing keys"
      actions={
        <ConfirmDialog
          trigger={
            <Button variant="secondary" disabled={rotate.isPending}>
              Rotate signing keys now
            </Button>
          }
          tone="primary"
          title="Make new signing keys now?"
          description={
            <p>
              New access tokens are signed with new keys at once. The current keys stop signing but stay published, so
              tokens they signed keep verifying until they expire.
            </p>
          }
          confirmLabel="Rotate signing keys"
          onConfirm={() => rotate.mutateAsync({}).catch(() => undefined)}
        />
      }
    >
      <p className="mb-3 max-w-3xl text-sm text-slate-600">
        Access tokens are JWTs signed with ES256, or RS256 for clients registered for it; each algorithm has its own
        key. A key is replaced every 30 days; a replaced key stays published (JWKS at <code>/oauth/jwks</code>) until
        every token it signed has expired. Rotate now if you suspect a key has leaked.
      </p>
      {keys.error ? <Alert>{errorMessage(keys.error)}</Alert> : null}
      <Table
        head={["Key id (kid)", "Algorithm", "Status", "Created", "Retired", "Removed after"]}
        empty={
          keys.isSuccess && items.length === 0 ? (
            <p className="px-3 py-6 text-center text-sm text-slate-500">
              No signing key yet: one of each algorithm is made when the first access token is issued.
            </p>
          ) : null
        }
      >
        {items.map((k) => (
          <tr key={k.kid} data-testid="signing-key-row">
            <td className="px-3 py-2 font-mono text-xs">{k.kid}</td>
            <td className="px-3 py-2 text-xs">{k.alg}</td>
            <td className="px-3 py-2">{k.retiredAt ? <Badge>retired</Badge> : <Badge tone="green">signing</Badge>}</td>
            <td className="px-3 py-2 text-xs">{formatTime(k.createdAt)}</td>
            <td className="px-3 py-2 text-xs">{formatTime(k.retiredAt)}</td>
            <td className="px-3 py-2 text-xs">{formatTime(k.removeAfter)}</td>
          </tr>
        ))}
      </Table>
    </Card>
  );
}
