"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { type ReactNode, useState } from "react";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, formatTime, Table } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { toast } from "../ui/toast";

const SOURCES = {
  env: "the ENCRYPTION_KEYS environment variable",
  file: "the data folder (secrets.json)",
  memory: "memory (tests)",
} as const;

/** Progress as a native <progress> element: no inline style (the CSP forbids them). */
function JobProgress({ done, total, finished }: { done: number; total: number; finished: boolean }) {
  const max = Math.max(total, done, 1);
  // A finished job is 100 % even when it had nothing to do (0 of 0 rows).
  const percent = finished ? 100 : Math.min(100, Math.floor((done / max) * 100));
  return (
    <>
      <progress
        className="h-2 w-64 max-w-full overflow-hidden rounded bg-slate-100 align-middle accent-brand-600"
        value={finished ? max : done}
        max={max}
        aria-label="Re-encryption progress"
        aria-valuetext={`${percent} %`}
      />
      <span className="tabular-nums" data-testid="reencryption-percent">
        {percent} %
      </span>
    </>
  );
}

/** The reason of a refusal (server/errors.ts AppError), when the server gave one. */
function reasonOf(error: unknown): string | null {
  if (!(error instanceof TRPCClientError)) return null;
  const reason = (error.data as { reason?: unknown } | undefined)?.reason;
  return typeof reason === "string" ? reason : null;
}

/**
 * A refused rotation or re-encryption, as what to do next. keys_in_environment is not a failure
 * but an instruction: the server cannot change its own environment.
 */
function KeyActionProblem({ error }: { error: unknown }) {
  const reason = reasonOf(error);
  let body: ReactNode = errorMessage(error);
  if (reason === "keys_in_environment") {
    body = (
      <>
        <p className="font-medium">
          The keys come from the ENCRYPTION_KEYS environment variable, so rotate them there:
        </p>
        <ol className="mt-1 list-decimal space-y-0.5 pl-5">
          <li>
            On the server, run <code className="font-mono text-xs">gatehouse keys rotate</code>: it prints the new value
            of ENCRYPTION_KEYS.
          </li>
          <li>Set that value on every server and restart them.</li>
          <li>Come back here and press “Re-encrypt now”.</li>
        </ol>
        <p className="mt-1">The new key is never sent over the API.</p>
      </>
    );
  } else if (reason === "reencryption_running") {
    body = `${errorMessage(error)}. Its progress is shown below.`;
  }
  return (
    <Alert>
      <div data-testid="key-action-problem" data-reason={reason ?? ""}>
        {body}
      </div>
    </Alert>
  );
}

type EncryptionStatus = {
  source: "env" | "file" | "memory";
  keys: Array<{ id: string; active: boolean }>;
  rowsToReencrypt: number;
  job: { id: number; status: string; stalled: boolean } | null;
};

/** "Rotate key" and "Re-encrypt now": each asks first, naming what will happen, and reports in a toast. */
function KeyActions({ status }: { status: EncryptionStatus }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<unknown>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.encryption.status.queryKey() });
  const rotate = useMutation(
    trpc.admin.encryption.rotate.mutationOptions({
      onMutate: () => setProblem(null),
      onSuccess: (result) => {
        toast.success(
          `Key ${result.keyId} is active`,
          `New values are sealed with it; ${result.previousKeyId} still opens the older ones until re-encryption moves them.`,
        );
        void refresh();
      },
      onError: (error) => {
        setProblem(error);
        toast.error(
          "The key was not rotated",
          reasonOf(error) === "keys_in_environment" ? "See the steps on the page." : errorMessage(error),
        );
      },
    }),
  );
  const reencrypt = useMutation(
    trpc.admin.encryption.reencrypt.mutationOptions({
      onMutate: () => setProblem(null),
      onSuccess: (job) => {
        toast.success(`Re-encryption #${job.id} started`, `Moving ${job.total} rows to key ${job.targetKeyId}.`);
        void refresh();
      },
      onError: (error) => {
        setProblem(error);
        toast.error("Re-encryption did not start", errorMessage(error));
        void refresh();
      },
    }),
  );
  const active = status.keys.find((k) => k.active)?.id ?? "the active key";
  const running = status.job?.status === "running" && !status.job.stalled;
  const stalled = status.job?.status === "running" && status.job.stalled;
  const fromEnv = status.source === "env";
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap gap-2">
        <ConfirmDialog
          trigger={
            <Button variant="secondary" disabled={rotate.isPending}>
              {rotate.isPending ? "Rotating…" : "Rotate key"}
            </Button>
          }
          title="Rotate the encryption key?"
          description={
            <>
              <p>
                A new key is generated and, after about two seconds (once every server holds it), becomes the active
                key: new values are sealed with it. {active} stays in the keyring and still opens the values sealed with
                it until re-encryption moves them.
              </p>
              {fromEnv ? (
                <p className="font-medium">
                  The keys come from ENCRYPTION_KEYS: the server cannot change them and will refuse, with the steps to
                  follow.
                </p>
              ) : (
                <p>Back up the data folder afterwards: secrets.json then holds the new key.</p>
              )}
            </>
          }
          confirmLabel="Rotate key"
          tone="primary"
          onConfirm={() => rotate.mutateAsync({})}
        />
        <ConfirmDialog
          trigger={
            <Button variant="secondary" disabled={running || reencrypt.isPending}>
              {running ? "Re-encrypting…" : stalled ? "Resume re-encryption" : "Re-encrypt now"}
            </Button>
          }
          title={stalled ? "Resume the re-encryption?" : "Re-encrypt every stored value now?"}
          description={
            <p>
              {status.rowsToReencrypt > 0
                ? `${status.rowsToReencrypt} rows with values under an older key are re-sealed with ${active}, in batches, in the background; the server keeps answering meanwhile and the progress shows here.`
                : `Every stored value is already under ${active}; the run checks them all and finishes at once.`}{" "}
              No value is unreadable at any point.
            </p>
          }
          confirmLabel={stalled ? "Resume" : "Re-encrypt now"}
          tone="primary"
          onConfirm={() => reencrypt.mutateAsync({})}
        />
      </div>
      {problem ? <KeyActionProblem error={problem} /> : null}
    </div>
  );
}

type KeyCheckStatus = "ok" | "unused" | "replaced" | "wrong_key" | "tampered";

/** The result of opening a sample of a key's stored values (server/services/key-check.ts). */
function KeyCheck({ check, sampled, failed }: { check: KeyCheckStatus; sampled: number; failed: number }) {
  switch (check) {
    case "ok":
      return <Badge tone="green">ok ({sampled} opened)</Badge>;
    case "unused":
      return <Badge>no values yet</Badge>;
    case "replaced":
      return <Badge tone="red">replaced: not the key recorded for this id</Badge>;
    case "wrong_key":
      return <Badge tone="red">wrong key: its values do not open</Badge>;
    case "tampered":
      return (
        <Badge tone="red">
          tampered: {failed} of {sampled} values fail authentication
        </Badge>
      );
  }
}

export function EncryptionKeys() {
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.admin.encryption.status.queryOptions(),
    // Re-encryption runs in another process; follow it while it runs.
    refetchInterval: (q) => (q.state.data?.job?.status === "running" ? 2_000 : 15_000),
  });
  if (query.error) return <Alert>{errorMessage(query.error)}</Alert>;
  const status = query.data;
  if (!status) return <p className="text-sm text-slate-500">Loading…</p>;
  const job = status.job;

  return (
    <div className="space-y-6">
      {status.unknownKeys.length > 0 ? (
        <Alert>
          Some stored values name keys that are not in the keyring and cannot be read:{" "}
          {status.unknownKeys.map((k) => `${k.id} (${k.values})`).join(", ")}. Restore those keys.
        </Alert>
      ) : null}
      {status.problems.length > 0 ? (
        <Alert>
          <span className="font-medium">The keys do not fit the stored data:</span>
          <ul className="mt-1 list-disc pl-5" data-testid="key-problems">
            {status.problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </Alert>
      ) : null}
      <KeyActions status={status} />
      <Card title="Keys">
        <p className="mb-3 text-sm text-slate-600">
          Keys come from {SOURCES[status.source]}. A fingerprint names a key without revealing it; each key is checked
          by opening a sample of the values stored under it.
        </p>
        <Table head={["Key id", "Fingerprint", "Status", "Check", "Values protected", "Created"]}>
          {status.keys.map((key) => (
            <tr key={key.id} data-testid="encryption-key-row">
              <td className="px-3 py-2 font-mono">{key.id}</td>
              <td className="px-3 py-2 font-mono text-xs" data-testid={`key-fingerprint-${key.id}`}>
                {key.fingerprint}
              </td>
              <td className="px-3 py-2">
                {key.active ? (
                  <Badge tone="green">active</Badge>
                ) : key.values > 0 ? (
                  <Badge tone="amber">retiring</Badge>
                ) : (
                  <Badge>unused, removable</Badge>
                )}
              </td>
              <td className="px-3 py-2" data-testid={`key-check-${key.id}`}>
                <KeyCheck check={key.check} sampled={key.sampled} failed={key.failed} />
              </td>
              <td className="px-3 py-2 tabular-nums" data-testid={`key-values-${key.id}`}>
                {key.values}
              </td>
              <td className="px-3 py-2 font-mono text-xs">{formatTime(key.createdAt)}</td>
            </tr>
          ))}
        </Table>
        {status.unsealedValues > 0 ? (
          <p className="mt-3 text-sm text-amber-800">
            {status.unsealedValues} values are not encrypted yet; they are sealed at the next start.
          </p>
        ) : null}
      </Card>
      <Card title="Re-encryption">
        <p className="mb-3 text-sm text-slate-600" data-testid="rows-to-reencrypt">
          {status.rowsToReencrypt > 0
            ? `${status.rowsToReencrypt} rows still have values under an older key: press “Re-encrypt now” (or run gatehouse keys reencrypt).`
            : "Every stored value is under the active key."}
        </p>
        {job ? (
          <dl className="grid gap-x-4 gap-y-1 text-sm sm:grid-cols-[10rem_1fr]" data-testid="reencryption-job">
            <dt className="text-slate-500">Last run</dt>
            <dd>
              #{job.id} to key <span className="font-mono">{job.targetKeyId}</span>{" "}
              {job.status === "finished" ? (
                <Badge tone="green">finished</Badge>
              ) : job.status === "superseded" ? (
                <Badge>superseded</Badge>
              ) : job.stalled ? (
                <Badge tone="red">interrupted — run it again to resume</Badge>
              ) : (
                <Badge tone="blue">running</Badge>
              )}
            </dd>
            <dt className="text-slate-500">Progress</dt>
            <dd className="flex items-center gap-3">
              <JobProgress done={job.done} total={job.total} finished={job.status === "finished"} />
              <span className="tabular-nums">
                {job.done} / {Math.max(job.total, job.done)} rows
              </span>
            </dd>
            <dt className="text-slate-500">Started</dt>
            <dd className="font-mono text-xs">{formatTime(job.startedAt)}</dd>
            <dt className="text-slate-500">{job.finishedAt ? "Finished" : "Last progress"}</dt>
            <dd className="font-mono text-xs">{formatTime(job.finishedAt ?? job.updatedAt)}</dd>
          </dl>
        ) : (
          <p className="text-sm text-slate-500">No re-encryption has run yet.</p>
        )}
      </Card>
    </div>
  );
}
