"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { type FormEvent, useState } from "react";
import type { AppRouter } from "@/server/root";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, Field, formatTime, Input, OffsetPager, Select, Table } from "../ui";

type User = inferRouterOutputs<AppRouter>["admin"]["users"]["list"]["items"][number];
const PAGE = 25;

export function UsersManager() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [offset, setOffset] = useState(0);
  const [selectedId, setSelectedId] = useState<string | null>(null);

  const list = useQuery({
    ...trpc.admin.users.list.queryOptions({ search: search || undefined, offset, limit: PAGE }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.users.pathKey() });
  const selected = list.data?.items.find((u) => u.id === selectedId) ?? null;

  return (
    <div className="space-y-6">
      <CreateUserForm onCreated={refresh} />
      <Card
        title={`All users${list.data ? ` (${list.data.total})` : ""}`}
        actions={
          <Input
            type="search"
            aria-label="Search users"
            placeholder="Search by email or name"
            className="w-64"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              setOffset(0);
            }}
          />
        }
      >
        {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
        <Table head={["Email", "Name", "Role", "Status", "Sessions", "Created", ""]}>
          {list.data?.items.map((u) => (
            <tr key={u.id} data-testid="user-row" className={u.id === selectedId ? "bg-brand-50" : undefined}>
              <td className="px-3 py-2 font-medium">{u.email}</td>
              <td className="px-3 py-2">{u.name ?? "—"}</td>
              <td className="px-3 py-2">
                <Badge tone={u.role === "admin" ? "blue" : "slate"}>{u.role}</Badge>
              </td>
              <td className="px-3 py-2">
                {u.disabled ? <Badge tone="red">disabled</Badge> : <Badge tone="green">active</Badge>}
                {u.mustChangePassword ? (
                  <span className="ml-1">
                    <Badge tone="amber">must change password</Badge>
                  </span>
                ) : null}
              </td>
              <td className="px-3 py-2 tabular-nums">{u.activeSessions}</td>
              <td className="px-3 py-2 text-slate-600">{formatTime(u.createdAt)}</td>
              <td className="px-3 py-2 text-right">
                <Button
                  variant="secondary"
                  onClick={() => setSelectedId(u.id === selectedId ? null : u.id)}
                  aria-label={`Manage ${u.email}`}
                >
                  Manage
                </Button>
              </td>
            </tr>
          ))}
        </Table>
        <div className="mt-4 flex items-center justify-between text-sm text-slate-600">
          <span>
            {list.data && list.data.total > 0
              ? `${offset + 1}–${Math.min(offset + PAGE, list.data.total)} of ${list.data.total}`
              : "No users match."}
          </span>
          <OffsetPager offset={offset} pageSize={PAGE} total={list.data?.total} onChange={setOffset} />
        </div>
      </Card>
      {selected ? <UserDetail key={selected.id} user={selected} onChanged={refresh} /> : null}
    </div>
  );
}

function CreateUserForm({ onCreated }: { onCreated: () => void }) {
  const trpc = useTRPC();
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(
    trpc.admin.users.create.mutationOptions({
      onSuccess: (user) => {
        setCreated(user.email);
        onCreated();
      },
    }),
  );
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    setCreated(null);
    create.mutate(
      {
        email: String(form.get("email") ?? ""),
        name: String(form.get("name") ?? "") || undefined,
        role: form.get("role") === "admin" ? "admin" : "member",
        password: String(form.get("password") ?? ""),
      },
      { onSuccess: () => formEl.reset() },
    );
  }
  return (
    <Card title="Create a user">
      <form
        onSubmit={onSubmit}
        className="grid gap-3 md:grid-cols-5 md:items-end"
        noValidate
        aria-label="Create a user"
      >
        <Field label="Email" htmlFor="new-email">
          <Input id="new-email" name="email" type="email" required maxLength={254} />
        </Field>
        <Field label="Name" htmlFor="new-name">
          <Input id="new-name" name="name" maxLength={200} />
        </Field>
        <Field label="Role" htmlFor="new-role">
          <Select id="new-role" name="role" defaultValue="member" className="w-full">
            <option value="member">member</option>
            <option value="admin">admin</option>
          </Select>
        </Field>
        <Field label="Initial password" htmlFor="new-password">
          <Input
            id="new-password"
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={12}
            required
          />
        </Field>
        <Button type="submit" disabled={create.isPending}>
          Create user
        </Button>
      </form>
      <div className="mt-3">
        {create.error ? <Alert>{errorMessage(create.error)}</Alert> : null}
        {created ? (
          <Alert kind="success">Created {created}. They choose their own password when they first sign in.</Alert>
        ) : null}
      </div>
    </Card>
  );
}

function UserDetail({ user, onChanged }: { user: User; onChanged: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<string | null>(null);
  const sessions = useQuery(trpc.admin.users.sessions.queryOptions({ id: user.id }));
  const done = (message: string) => () => {
    setNotice(message);
    onChanged();
    void queryClient.invalidateQueries({ queryKey: trpc.admin.users.sessions.queryKey({ id: user.id }) });
  };
  const setDisabled = useMutation(trpc.admin.users.setDisabled.mutationOptions());
  const setRole = useMutation(trpc.admin.users.setRole.mutationOptions());
  const setPassword = useMutation(trpc.admin.users.setPassword.mutationOptions());
  const endSessions = useMutation(trpc.admin.users.endSessions.mutationOptions());
  const endSession = useMutation(trpc.admin.users.endSession.mutationOptions());
  const error = setDisabled.error ?? setRole.error ?? setPassword.error ?? endSessions.error ?? endSession.error;

  return (
    <Card title={`Manage ${user.email}`}>
      <div className="space-y-4">
        {error ? <Alert>{errorMessage(error)}</Alert> : null}
        {notice ? <Alert kind="success">{notice}</Alert> : null}
        <div className="flex flex-wrap items-end gap-3">
          <Button
            variant={user.disabled ? "primary" : "danger"}
            onClick={() =>
              setDisabled.mutate(
                { id: user.id, disabled: !user.disabled },
                { onSuccess: done(user.disabled ? "User enabled." : "User disabled; their sessions have ended.") },
              )
            }
          >
            {user.disabled ? "Enable user" : "Disable user"}
          </Button>
          <Field label="Role" htmlFor="detail-role">
            <Select
              id="detail-role"
              value={user.role}
              onChange={(e) =>
                setRole.mutate(
                  { id: user.id, role: e.target.value === "admin" ? "admin" : "member" },
                  { onSuccess: done("Role changed.") },
                )
              }
            >
              <option value="member">member</option>
              <option value="admin">admin</option>
            </Select>
          </Field>
          <form
            className="flex items-end gap-2"
            aria-label="Set a new password"
            onSubmit={(event) => {
              event.preventDefault();
              const formEl = event.currentTarget;
              const password = String(new FormData(formEl).get("password") ?? "");
              setPassword.mutate(
                { id: user.id, password, mustChange: true },
                {
                  onSuccess: () => {
                    formEl.reset();
                    done("Password set; the user must change it at next sign-in, and their sessions have ended.")();
                  },
                },
              );
            }}
          >
            <Field label="New password" htmlFor="detail-password">
              <Input id="detail-password" name="password" type="password" autoComplete="new-password" minLength={12} />
            </Field>
            <Button type="submit" variant="secondary">
              Set password
            </Button>
          </form>
        </div>
        <div>
          <div className="mb-2 flex items-center justify-between">
            <h3 className="text-sm font-semibold">Sessions</h3>
            <Button
              variant="danger"
              disabled={!sessions.data?.items.length}
              onClick={() =>
                endSessions.mutate({ id: user.id }, { onSuccess: (r) => done(`Ended ${r.ended} session(s).`)() })
              }
            >
              End all sessions
            </Button>
          </div>
          <Table head={["Started", "Last seen", "Expires", "IP", "Browser", ""]}>
            {sessions.data?.items.map((s) => (
              <tr key={s.id} data-testid="session-row">
                <td className="px-3 py-2">{formatTime(s.createdAt)}</td>
                <td className="px-3 py-2">{formatTime(s.lastSeenAt)}</td>
                <td className="px-3 py-2">{formatTime(s.expiresAt)}</td>
                <td className="px-3 py-2 font-mono text-xs">{s.ip ?? "—"}</td>
                <td className="max-w-xs truncate px-3 py-2 text-slate-600">{s.userAgent ?? "—"}</td>
                <td className="px-3 py-2 text-right">
                  <Button
                    variant="ghost"
                    onClick={() =>
                      endSession.mutate({ id: user.id, sessionId: s.id }, { onSuccess: done("Session ended.") })
                    }
                  >
                    End
                  </Button>
                </td>
              </tr>
            ))}
          </Table>
          {sessions.data?.items.length === 0 ? (
            <p className="px-3 py-2 text-sm text-slate-500">No active sessions.</p>
          ) : null}
        </div>
      </div>
    </Card>
  );
}
