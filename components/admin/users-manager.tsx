"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createColumnHelper, type RowSelectionState, type SortingState, useTable } from "@tanstack/react-table";
import type { inferRouterOutputs } from "@trpc/server";
import { type ReactNode, useState } from "react";
import { ROLE_SCOPES } from "@/server/auth/scopes";
import type { AppRouter } from "@/server/root";
import { createUserForm, setPasswordForm } from "@/server/routers/admin/users.form.schemas";
import { type CreatedToken, CreateTokenForm, NewTokenNotice, tokenLabel } from "../tokens/token-parts";
import { TokenStatusBadge } from "../tokens/token-status";
import { errorMessage, useTRPC } from "../trpc";
import {
  Alert,
  Badge,
  Button,
  Card,
  CopyText,
  Field,
  formatTime,
  Input,
  OffsetPager,
  Select,
  Table,
  toast,
} from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { DataTable, type ListFeatures, listFeatures, selectColumn, serverOrder } from "../ui/data-table";
import { FormField, FormMessage, optionalText, showRefusal, useSchemaForm } from "../ui/form";

type User = inferRouterOutputs<AppRouter>["admin"]["users"]["list"]["items"][number];
type Role = User["role"];
const PAGE = 25;

const columns = createColumnHelper<ListFeatures, User>();

/** The Users list's columns; the ids of the sortable ones are the server's `sort` names. */
function userColumns(select: { label: (u: User) => string }, manage: (u: User) => ReactNode) {
  return columns.columns([
    selectColumn<User>({ page: "Select every user on this page", row: (u) => `Select ${select.label(u)}` }),
    columns.accessor("email", {
      header: "Email",
      cell: (c) => <span className="font-medium">{c.getValue()}</span>,
    }),
    columns.accessor("name", { header: "Name", enableSorting: false, cell: (c) => c.getValue() ?? "—" }),
    columns.accessor("role", {
      header: "Role",
      enableSorting: false,
      cell: (c) => <Badge tone={c.getValue() === "admin" ? "blue" : "slate"}>{c.getValue()}</Badge>,
    }),
    columns.display({
      id: "status",
      header: "Status",
      cell: ({ row: { original: u } }) => (
        <>
          {u.disabled ? <Badge tone="red">disabled</Badge> : <Badge tone="green">active</Badge>}
          {u.mustChangePassword ? (
            <span className="ml-1">
              <Badge tone="amber">must change password</Badge>
            </span>
          ) : null}
        </>
      ),
    }),
    columns.accessor("activeSessions", {
      header: "Sessions",
      enableSorting: false,
      cell: (c) => <span className="tabular-nums">{c.getValue()}</span>,
    }),
    columns.accessor("lastSignInAt", {
      header: "Last sign-in",
      sortDescFirst: true,
      cell: (c) => <span className="text-slate-600">{formatTime(c.getValue())}</span>,
    }),
    columns.accessor("createdAt", {
      header: "Created",
      sortDescFirst: true,
      cell: (c) => <span className="text-slate-600">{formatTime(c.getValue())}</span>,
    }),
    columns.display({ id: "manage", header: "", cell: ({ row }) => manage(row.original) }),
  ]);
}

const NO_USERS: User[] = [];
type UserFilter = { role?: Role; status?: "active" | "must_change_password" | "disabled" };

/** `initialSearch`: from the address bar (`/admin/users?search=ada@example.com`, the audit log's links to a user). */
export function UsersManager({ initialSearch = "" }: { initialSearch?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState(initialSearch);
  const [filter, setFilter] = useState<UserFilter>({});
  const [sorting, setSorting] = useState<SortingState>([{ id: "email", desc: false }]);
  const [offset, setOffset] = useState(0);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [rowSelection, setRowSelection] = useState<RowSelectionState>({});

  const order = serverOrder(sorting) as { sort?: "email" | "createdAt" | "lastSignInAt"; direction?: "asc" | "desc" };
  const list = useQuery({
    ...trpc.admin.users.list.queryOptions({ search: search || undefined, ...filter, ...order, offset, limit: PAGE }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.users.pathKey() });
  const items = list.data?.items ?? NO_USERS;
  const selected = items.find((u) => u.id === selectedId) ?? null;
  // A new page, order or filter starts with nothing ticked: a bulk action acts only on rows in view.
  const changed = () => {
    setOffset(0);
    setRowSelection({});
  };

  const table = useTable({
    features: listFeatures,
    columns: userColumns({ label: (u) => u.email }, (u) => (
      <Button
        variant="secondary"
        onClick={() => setSelectedId(u.id === selectedId ? null : u.id)}
        aria-label={`Manage ${u.email}`}
      >
        Manage
      </Button>
    )),
    data: items,
    getRowId: (u) => u.id,
    manualSorting: true,
    enableMultiSort: false,
    enableSortingRemoval: false,
    state: { sorting, rowSelection },
    onSortingChange: (next) => {
      setSorting(next);
      changed();
    },
    onRowSelectionChange: setRowSelection,
  });
  const picked = items.filter((u) => rowSelection[u.id]);

  return (
    <div className="space-y-6">
      <CreateUserForm onCreated={refresh} />
      <Card
        title={`All users${list.data ? ` (${list.data.total})` : ""}`}
        actions={
          <div className="flex flex-wrap items-center gap-2">
            <Select
              aria-label="Filter by role"
              value={filter.role ?? ""}
              onChange={(e) => {
                const role = e.target.value === "admin" || e.target.value === "member" ? e.target.value : undefined;
                setFilter((f) => ({ ...f, role }));
                changed();
              }}
            >
              <option value="">Every role</option>
              <option value="admin">admin</option>
              <option value="member">member</option>
            </Select>
            <Select
              aria-label="Filter by status"
              value={filter.status ?? ""}
              onChange={(e) => {
                const v = e.target.value;
                const status = v === "active" || v === "disabled" || v === "must_change_password" ? v : undefined;
                setFilter((f) => ({ ...f, status }));
                changed();
              }}
            >
              <option value="">Every status</option>
              <option value="active">active</option>
              <option value="must_change_password">must change password</option>
              <option value="disabled">disabled</option>
            </Select>
            <Input
              type="search"
              aria-label="Search users"
              placeholder="Search by email or name"
              className="w-64"
              value={search}
              onChange={(e) => {
                setSearch(e.target.value);
                changed();
              }}
            />
          </div>
        }
      >
        {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
        {picked.length > 0 ? (
          <BulkDisable
            users={picked}
            onDone={() => {
              setRowSelection({});
              void refresh();
            }}
          />
        ) : null}
        <DataTable
          table={table}
          label="Users"
          rowTestId="user-row"
          rowClassName={(u) => (u.id === selectedId ? "bg-brand-50" : undefined)}
        />
        <div className="mt-4 flex items-center justify-between text-sm text-slate-600">
          <span>
            {list.data && list.data.total > 0
              ? `${offset + 1}–${Math.min(offset + PAGE, list.data.total)} of ${list.data.total}`
              : list.isSuccess
                ? "No users match."
                : null}
          </span>
          <OffsetPager
            offset={offset}
            pageSize={PAGE}
            total={list.data?.total}
            onChange={(next) => {
              setOffset(next);
              setRowSelection({});
            }}
          />
        </div>
      </Card>
      {selected ? <UserDetail key={selected.id} user={selected} onChanged={refresh} /> : null}
    </div>
  );
}

/**
 * Disables the ticked users, asking first and naming them; each result is a toast (the last admin,
 * or oneself, is refused by the server and says so).
 */
function BulkDisable({ users, onDone }: { users: User[]; onDone: () => void }) {
  const trpc = useTRPC();
  const setDisabled = useMutation(trpc.admin.users.setDisabled.mutationOptions());
  const enabled = users.filter((u) => !u.disabled);
  const names = enabled.map((u) => u.email);
  return (
    <div className="mb-3 flex items-center gap-3 rounded-md bg-slate-50 px-3 py-2 text-sm" data-testid="bulk-bar">
      <span>
        {users.length} selected
        {enabled.length < users.length ? ` (${users.length - enabled.length} already disabled)` : ""}
      </span>
      <ConfirmDialog
        trigger={
          <Button variant="danger" disabled={enabled.length === 0}>
            Disable selected
          </Button>
        }
        title={`Disable ${enabled.length} user${enabled.length === 1 ? "" : "s"}?`}
        description={
          <>
            <p>
              They are signed out at once, cannot sign in, and their API tokens and OAuth access stop working until
              enabled again:
            </p>
            <ul className="mt-2 list-disc pl-5">
              {names.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          </>
        }
        confirmLabel={`Disable ${enabled.length} user${enabled.length === 1 ? "" : "s"}`}
        onConfirm={async () => {
          for (const u of enabled) {
            await setDisabled.mutateAsync({ id: u.id, disabled: true }).then(
              () => toast.success(`Disabled ${u.email}.`, "Their sessions have ended."),
              (error: unknown) => toast.error(`Could not disable ${u.email}`, errorMessage(error)),
            );
          }
          onDone();
        }}
      />
    </div>
  );
}

type NewUserValues = { email: string; name: string; role: Role; password: string };
const NEW_USER: NewUserValues = { email: "", name: "", role: "member", password: "" };

/** admin.users.create's own schema; a refusal (an email in use, a guessable password) shows under its field. */
function CreateUserForm({ onCreated }: { onCreated: () => void }) {
  const trpc = useTRPC();
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(trpc.admin.users.create.mutationOptions());
  const form = useSchemaForm(createUserForm, {
    defaultValues: NEW_USER,
    toInput: (v: NewUserValues) => ({ ...v, name: optionalText(v.name) }),
  });
  const onSubmit = form.handleSubmit(async (input) => {
    setCreated(null);
    try {
      const user = await create.mutateAsync(input);
      setCreated(user.email);
      toast.success(`Created ${user.email} (${user.role}).`);
      form.reset(NEW_USER);
      onCreated();
    } catch (error) {
      showRefusal(form, error, {
        fields: ["email", "name", "role", "password"],
        reasons: { email_taken: "email", service_account: "email" },
      });
    }
  });
  return (
    <Card title="Create a user">
      <form
        onSubmit={onSubmit}
        className="grid gap-3 md:grid-cols-5 md:items-start"
        noValidate
        aria-label="Create a user"
      >
        <FormField form={form} name="email" label="Email" id="new-email">
          {(control) => <Input {...control} type="email" autoComplete="off" />}
        </FormField>
        <FormField form={form} name="name" label="Name" id="new-name">
          {(control) => <Input {...control} autoComplete="off" />}
        </FormField>
        <FormField form={form} name="role" label="Role" id="new-role">
          {(control) => (
            <Select {...control} className="w-full">
              <option value="member">member</option>
              <option value="admin">admin</option>
            </Select>
          )}
        </FormField>
        <FormField form={form} name="password" label="Initial password" id="new-password">
          {(control) => <Input {...control} type="password" autoComplete="new-password" />}
        </FormField>
        <Button type="submit" className="md:mt-6" disabled={form.formState.isSubmitting}>
          Create user
        </Button>
      </form>
      <div className="mt-3">
        <FormMessage form={form} />
        {created ? (
          <Alert kind="success">Created {created}. They choose their own password when they first sign in.</Alert>
        ) : null}
      </div>
    </Card>
  );
}

/**
 * An admin sets a user's password (asked first: it ends their sessions). The length is checked here with the
 * procedure's rule; a guessable password is refused by the server, under the field, with the password kept.
 */
function SetPasswordForm({
  user,
  sessionsText,
  onChanged,
}: {
  user: User;
  sessionsText: string;
  onChanged: () => void;
}) {
  const trpc = useTRPC();
  const setPassword = useMutation(trpc.admin.users.setPassword.mutationOptions());
  const [pending, setPending] = useState<string | null>(null);
  const form = useSchemaForm(setPasswordForm, { defaultValues: { password: "" } });
  return (
    <>
      <form
        className="flex items-start gap-2"
        aria-label="Set a new password"
        noValidate
        onSubmit={form.handleSubmit(({ password }) => setPending(password))}
      >
        <FormField form={form} name="password" label="New password" id="detail-password">
          {(control) => <Input {...control} type="password" autoComplete="new-password" />}
        </FormField>
        <Button type="submit" variant="secondary" className="mt-6">
          Set password
        </Button>
      </form>
      <FormMessage form={form} />
      <ConfirmDialog
        open={pending !== null}
        onOpenChange={(open) => {
          if (!open) setPending(null);
        }}
        title={`Set a new password for ${user.email}?`}
        description={
          <p>
            Their {sessionsText} end at once, and they must choose their own password when they next sign in with this
            one.
          </p>
        }
        confirmLabel="Set password"
        onConfirm={() => {
          if (pending === null) return;
          return setPassword.mutateAsync({ id: user.id, password: pending, mustChange: true }).then(
            () => {
              form.reset({ password: "" });
              toast.success(`Set a new password for ${user.email}.`, "They must change it at next sign-in.");
              onChanged();
            },
            (error: unknown) => {
              toast.error(`The password of ${user.email} was not set`, errorMessage(error));
              showRefusal(form, error, { fields: ["password"] });
            },
          );
        }}
      />
    </>
  );
}

/** What a role change does, said before it is done. */
function roleChangeText(user: User, role: Role) {
  if (role === "admin") {
    return (
      <>
        <p>
          An admin can do everything here: create, disable and promote users, end anyone&apos;s sessions, revoke any
          token, register OAuth clients, change CORS origins and rate limits, and read and export the audit log.
        </p>
        <p>{user.email}&apos;s sessions and tokens get these powers at once where their scopes allow it.</p>
      </>
    );
  }
  return (
    <p>
      {user.email} loses the dashboard&apos;s admin pages and every admin scope at once: their tokens keep only what a
      member may do ({ROLE_SCOPES.member.join(", ")}).
    </p>
  );
}

function UserDetail({ user, onChanged }: { user: User; onChanged: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sessions = useQuery(trpc.admin.users.sessions.queryOptions({ id: user.id }));
  const changed = () => {
    onChanged();
    void queryClient.invalidateQueries({ queryKey: trpc.admin.users.sessions.queryKey({ id: user.id }) });
    void queryClient.invalidateQueries({ queryKey: trpc.admin.users.tokens.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.admin.tokens.pathKey() });
  };
  const failed = (what: string) => (error: unknown) => toast.error(what, errorMessage(error));
  const setDisabled = useMutation(trpc.admin.users.setDisabled.mutationOptions());
  const setRole = useMutation(trpc.admin.users.setRole.mutationOptions());
  const endSessions = useMutation(trpc.admin.users.endSessions.mutationOptions());
  const endSession = useMutation(trpc.admin.users.endSession.mutationOptions());
  const revokeAll = useMutation(trpc.admin.users.revokeAll.mutationOptions());
  const [pendingRole, setPendingRole] = useState<Role | null>(null);
  const sessionCount = sessions.data?.items.length ?? user.activeSessions;
  const sessionsText = `${sessionCount} session${sessionCount === 1 ? "" : "s"}`;

  return (
    <Card title={`Manage ${user.email}`}>
      <div className="space-y-4">
        <p className="text-xs text-slate-500">
          User id <CopyText value={user.id} label="the user id" />
        </p>
        <div className="flex flex-wrap items-end gap-3">
          {user.disabled ? (
            <Button
              variant="primary"
              disabled={setDisabled.isPending}
              onClick={() =>
                setDisabled.mutateAsync({ id: user.id, disabled: false }).then(
                  () => {
                    toast.success(`Enabled ${user.email}.`, "They can sign in again; their tokens work again.");
                    changed();
                  },
                  failed(`Could not enable ${user.email}`),
                )
              }
            >
              Enable user
            </Button>
          ) : (
            <ConfirmDialog
              trigger={<Button variant="danger">Disable user</Button>}
              title={`Disable ${user.email}?`}
              description={
                <p>
                  They are signed out at once ({sessionsText} end), cannot sign in, and their API tokens and OAuth
                  access stop working until you enable them again.
                </p>
              }
              confirmLabel="Disable user"
              onConfirm={() =>
                setDisabled.mutateAsync({ id: user.id, disabled: true }).then(
                  () => {
                    toast.success(`Disabled ${user.email}.`, "Their sessions have ended.");
                    changed();
                  },
                  failed(`Could not disable ${user.email}`),
                )
              }
            />
          )}
          <Field label="Role" htmlFor="detail-role">
            <Select
              id="detail-role"
              value={pendingRole ?? user.role}
              onChange={(e) => {
                const role: Role = e.target.value === "admin" ? "admin" : "member";
                if (role !== user.role) setPendingRole(role);
              }}
            >
              <option value="member">member</option>
              <option value="admin">admin</option>
            </Select>
          </Field>
          <ConfirmDialog
            open={pendingRole !== null}
            onOpenChange={(open) => {
              if (!open) setPendingRole(null);
            }}
            title={pendingRole === "admin" ? `Make ${user.email} an admin?` : `Make ${user.email} a member?`}
            description={pendingRole ? roleChangeText(user, pendingRole) : null}
            confirmLabel={pendingRole === "admin" ? "Make admin" : "Make member"}
            onConfirm={() => {
              const role = pendingRole;
              if (!role) return;
              return setRole.mutateAsync({ id: user.id, role }).then(
                () => {
                  toast.success(`${user.email} is now ${role === "admin" ? "an admin" : "a member"}.`);
                  changed();
                },
                failed(`Could not change the role of ${user.email}`),
              );
            }}
          />
          <SetPasswordForm user={user} sessionsText={sessionsText} onChanged={changed} />
          <ConfirmDialog
            trigger={<Button variant="danger">Revoke everything</Button>}
            title={`Revoke everything of ${user.email}?`}
            description={
              <p>
                Ends all their sessions ({sessionsText}), revokes every API token they have and every OAuth app they
                authorised, at once. Scripts and apps using them fail on their next request. Their account stays
                enabled.
              </p>
            }
            confirmLabel="Revoke everything"
            onConfirm={() =>
              revokeAll.mutateAsync({ id: user.id }).then(
                (r) => {
                  toast.success(
                    `Revoked everything of ${user.email}.`,
                    `${r.sessionsEnded} session(s) ended, ${r.tokensRevoked} token(s) and ${r.oauthGrantsRevoked} OAuth grant(s) revoked.`,
                  );
                  changed();
                },
                failed(`Could not revoke everything of ${user.email}`),
              )
            }
          />
        </div>
        <div>
          <div className="mb-2 flex items-center justify-between">
            <h3 className="text-sm font-semibold">Sessions</h3>
            <ConfirmDialog
              trigger={
                <Button variant="danger" disabled={!sessions.data?.items.length}>
                  End all sessions
                </Button>
              }
              title={`End all sessions of ${user.email}?`}
              description={
                <p>
                  Their {sessionsText} end at once: every browser they use is signed out. Their API tokens keep working.
                </p>
              }
              confirmLabel="End all sessions"
              onConfirm={() =>
                endSessions.mutateAsync({ id: user.id }).then(
                  (r) => {
                    toast.success(`Ended ${r.ended} session(s) of ${user.email}.`);
                    changed();
                  },
                  failed(`Could not end the sessions of ${user.email}`),
                )
              }
            />
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
                  <ConfirmDialog
                    trigger={
                      <Button variant="ghost" aria-label={`End the session started ${formatTime(s.createdAt)}`}>
                        End
                      </Button>
                    }
                    title={`End this session of ${user.email}?`}
                    description={
                      <p>
                        The browser {s.ip ? `at ${s.ip} ` : ""}signed in since {formatTime(s.createdAt)} is signed out
                        at once.
                      </p>
                    }
                    confirmLabel="End session"
                    onConfirm={() =>
                      endSession.mutateAsync({ id: user.id, sessionId: s.id }).then(() => {
                        toast.success(`Ended a session of ${user.email}.`);
                        changed();
                      }, failed("Could not end the session"))
                    }
                  />
                </td>
              </tr>
            ))}
          </Table>
          {sessions.data?.items.length === 0 ? (
            <p className="px-3 py-2 text-sm text-slate-500">No active sessions.</p>
          ) : null}
        </div>
        <UserTokens user={user} onChanged={changed} />
      </div>
    </Card>
  );
}

/** The user's API tokens: create one for them (the secret shown once), copy an id, revoke. */
function UserTokens({ user, onChanged }: { user: User; onChanged: () => void }) {
  const trpc = useTRPC();
  const options = useQuery(trpc.tokens.options.queryOptions({}));
  const tokens = useQuery(trpc.admin.users.tokens.queryOptions({ id: user.id, status: "active", limit: 100 }));
  const create = useMutation(trpc.admin.users.createToken.mutationOptions());
  const revoke = useMutation(trpc.admin.tokens.revoke.mutationOptions());
  const [fresh, setFresh] = useState<CreatedToken | null>(null);
  const allowed: readonly string[] = ROLE_SCOPES[user.role];
  const items = tokens.data?.items ?? [];

  return (
    <div className="space-y-4" data-testid="user-tokens">
      <h3 className="text-sm font-semibold">API tokens</h3>
      {tokens.error ? <Alert>{errorMessage(tokens.error)}</Alert> : null}
      <Table head={["Name", "Token", "Scopes", "Status", "Expires", "Last used", ""]}>
        {items.map((t) => (
          <tr key={t.id} data-testid="user-token-row">
            <td className="px-3 py-2 font-medium">{t.name}</td>
            <td className="px-3 py-2 text-xs">
              <span className="block font-mono">{t.display}</span>
              <CopyText value={t.id} label={`the id of ${t.name}`} />
            </td>
            <td className="px-3 py-2 text-xs">{t.scopes.join(" ")}</td>
            <td className="px-3 py-2">
              <TokenStatusBadge token={t} />
            </td>
            <td className="px-3 py-2 text-xs">{formatTime(t.graceUntil ?? t.expiresAt)}</td>
            <td className="px-3 py-2 text-xs">{formatTime(t.lastUsedAt)}</td>
            <td className="px-3 py-2 text-right">
              <ConfirmDialog
                trigger={
                  <Button variant="ghost" className="text-red-700" aria-label={`Revoke ${t.name} of ${user.email}`}>
                    Revoke
                  </Button>
                }
                title={`Revoke token ${tokenLabel(t)} of ${user.email}?`}
                description={<p>Requests with it fail at once. This cannot be undone.</p>}
                confirmLabel="Revoke token"
                onConfirm={() =>
                  revoke.mutateAsync({ id: t.id }).then(
                    () => {
                      toast.success(`Revoked token ${tokenLabel(t)} of ${user.email}.`);
                      onChanged();
                    },
                    (error: unknown) => toast.error(`Could not revoke “${t.name}”`, errorMessage(error)),
                  )
                }
              />
            </td>
          </tr>
        ))}
      </Table>
      {tokens.isSuccess && items.length === 0 ? (
        <p className="px-3 py-2 text-sm text-slate-500">No active tokens.</p>
      ) : null}
      {fresh ? <NewTokenNotice created={fresh} forWhom={user.email} onDismiss={() => setFresh(null)} /> : null}
      {options.data ? (
        <CreateTokenForm
          title={`Create a token for ${user.email}`}
          idPrefix="user-token"
          options={options.data}
          grantable={(scope) => allowed.includes(scope)}
          notGrantableHint={`Not allowed to a ${user.role}.`}
          onCreate={(values) =>
            create.mutateAsync({ id: user.id, ...values }).then(
              (created) => {
                setFresh(created);
                toast.success(
                  `Created token ${tokenLabel(created)} for ${user.email}.`,
                  "Copy it now: it is shown once.",
                );
                onChanged();
              },
              (error: unknown) => {
                toast.error(`The token for ${user.email} was not created`, errorMessage(error));
                throw error;
              },
            )
          }
        />
      ) : null}
    </div>
  );
}
