"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useState } from "react";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, formatTime, Table } from "../ui";
import { parseDevice } from "./device";

/** The signed-in person's own sessions: device, IP, when; end one, or every one but this. */
export function OwnSessions() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.account.sessions.queryOptions());
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.account.sessions.queryKey() });

  const endOne = useMutation(
    trpc.account.endSession.mutationOptions({
      onSuccess: (result) => {
        if (result.current) {
          // This browser's own session, so this is signing out: NextAuth clears the cookie too.
          void signOut({ redirect: false }).finally(() => window.location.assign("/signin?reason=signed_out"));
          return;
        }
        setNotice("Session ended: that browser is signed out.");
        void refresh();
      },
    }),
  );
  const endOthers = useMutation(
    trpc.account.endOtherSessions.mutationOptions({
      onSuccess: (result) => {
        setNotice(
          result.ended === 0
            ? "There were no other sessions to end."
            : `Ended ${result.ended} other session${result.ended === 1 ? "" : "s"}: those browsers are signed out.`,
        );
        void refresh();
      },
    }),
  );
  const sessions = list.data ?? [];
  const others = sessions.filter((s) => !s.current).length;
  const failure = list.error ?? endOne.error ?? endOthers.error;

  return (
    <Card
      title="Your sessions"
      actions={
        <Button
          variant="secondary"
          disabled={others === 0 || endOthers.isPending}
          onClick={() => {
            setNotice(null);
            endOthers.mutate();
          }}
        >
          {endOthers.isPending ? "Ending…" : "Sign out all other sessions"}
        </Button>
      }
    >
      <div className="space-y-3">
        {failure ? <Alert>{errorMessage(failure)}</Alert> : null}
        {notice ? <Alert kind="success">{notice}</Alert> : null}
        <Table
          head={["Device", "IP address", "Signed in", "Last seen", ""]}
          empty={
            list.isSuccess && sessions.length === 0 ? (
              <p className="px-3 py-6 text-center text-sm text-slate-500">No sessions.</p>
            ) : null
          }
        >
          {sessions.map((s) => {
            const device = parseDevice(s.userAgent);
            return (
              <tr key={s.id} data-testid="own-session" data-current={s.current ? "true" : "false"}>
                <td className="px-3 py-2">
                  <span title={s.userAgent ?? undefined}>{device.label}</span>{" "}
                  {s.current ? <Badge tone="blue">This browser</Badge> : null}
                </td>
                <td className="px-3 py-2 font-mono text-xs text-slate-700">{s.ip ?? "—"}</td>
                <td className="px-3 py-2 text-slate-600">{formatTime(s.createdAt)}</td>
                <td className="px-3 py-2 text-slate-600">{formatTime(s.lastSeenAt)}</td>
                <td className="px-3 py-2 text-right">
                  <Button
                    variant={s.current ? "ghost" : "secondary"}
                    disabled={endOne.isPending}
                    aria-label={s.current ? "Sign out this browser" : `End session on ${device.label}`}
                    onClick={() => {
                      setNotice(null);
                      endOne.mutate({ id: s.id });
                    }}
                  >
                    {s.current ? "Sign out" : "End"}
                  </Button>
                </td>
              </tr>
            );
          })}
        </Table>
      </div>
    </Card>
  );
}
