"use client";

import { useQuery } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Card, formatTime, Table } from "../ui";

const SOURCES = {
  env: "the ENCRYPTION_KEYS environment variable",
  file: "the data folder (secrets.json)",
  memory: "memory (tests)",
} as const;

/** Progress as a native <progress> element: no inline style (the CSP forbids them). */
function JobProgress({ done, total }: { done: number; total: number }) {
  const max = Math.max(total, done, 1);
  return (
    <progress
      className="h-2 w-64 overflow-hidden rounded bg-slate-100 align-middle accent-brand-600"
      value={done}
      max={max}
      aria-label="Re-encryption progress"
    />
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
            ? `${status.rowsToReencrypt} rows still have values under an older key. Run gatehouse keys reencrypt.`
            : "Every stored value is under the active key."}
        </p>
        {job ? (
          <dl className="grid grid-cols-[10rem_1fr] gap-x-4 gap-y-1 text-sm" data-testid="reencryption-job">
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
              <JobProgress done={job.done} total={job.total} />
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
