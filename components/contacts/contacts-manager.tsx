"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createColumnHelper, type SortingState, useTable } from "@tanstack/react-table";
import type { inferRouterOutputs } from "@trpc/server";
import { type ReactNode, useState } from "react";
import type { AppRouter } from "@/server/root";
import { type ContactSort, createContactInput, updateContactInput } from "@/server/routers/contacts/schemas";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Button, Card, formatTime, Input, toast } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { CursorPager } from "../ui/cursor-pager";
import { DataTable, type ListFeatures, listFeatures, serverOrder } from "../ui/data-table";
import { FormField, FormMessage, optionalText, showRefusal, useSchemaForm } from "../ui/form";
import { useCursorPages } from "../use-cursor-pages";

type Contact = inferRouterOutputs<AppRouter>["contacts"]["get"];

const columns = createColumnHelper<ListFeatures, Contact>();
const NO_CONTACTS: Contact[] = [];

/** The list's columns; the ids of the sortable ones are contacts.list's `sort` names (sealed fields never sort). */
function contactColumns(actions: (c: Contact) => ReactNode) {
  return columns.columns([
    columns.accessor("name", { header: "Name", cell: (c) => <span className="font-medium">{c.getValue()}</span> }),
    columns.accessor("email", { header: "Email", enableSorting: false }),
    columns.accessor("phone", { header: "Phone", enableSorting: false, cell: (c) => c.getValue() ?? "—" }),
    columns.accessor("notes", {
      header: "Notes",
      enableSorting: false,
      cell: (c) => <span className="block max-w-xs truncate text-slate-600">{c.getValue() ?? ""}</span>,
    }),
    columns.accessor("createdAt", {
      header: "Added",
      cell: (c) => <span className="whitespace-nowrap text-slate-600">{formatTime(c.getValue())}</span>,
    }),
    columns.display({
      id: "actions",
      // Empty like the other lists' action columns: an sr-only (absolutely positioned) label would escape the
      // table's scroll box and widen a phone's page.
      header: "",
      enableSorting: false,
      cell: (c) => <div className="whitespace-nowrap text-right">{actions(c.row.original)}</div>,
    }),
  ]);
}

/** The typed frontend: every call below is checked against the router's types at build time. */
export function ContactsManager() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Contact | null>(null);

  // Sorted and paged on the server (contacts.list: sort, direction, cursor); newest first by default.
  const [sorting, setSorting] = useState<SortingState>([{ id: "createdAt", desc: true }]);
  const pages = useCursorPages<string>();
  const order = serverOrder(sorting) as { sort?: ContactSort; direction?: "asc" | "desc" };
  const list = useQuery({
    ...trpc.contacts.list.queryOptions({ limit: 20, ...order, cursor: pages.cursor }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.contacts.list.pathKey() });

  const remove = useMutation(trpc.contacts.delete.mutationOptions({ onSuccess: refresh }));
  const contacts = list.data?.items ?? NO_CONTACTS;

  const table = useTable({
    features: listFeatures,
    columns: contactColumns((c) => (
      <>
        <Button variant="ghost" onClick={() => setEditing(c)} aria-label={`Edit ${c.name}`}>
          Edit
        </Button>
        <ConfirmDialog
          trigger={
            <Button
              variant="ghost"
              className="text-red-700"
              aria-label={`Delete ${c.name}`}
              disabled={remove.isPending}
            >
              Delete
            </Button>
          }
          title={`Delete ${c.name}?`}
          description={<p>The contact is deleted for good. This cannot be undone.</p>}
          confirmLabel="Delete contact"
          onConfirm={() => remove.mutateAsync({ id: c.id })}
        />
      </>
    )),
    data: contacts,
    getRowId: (c) => c.id,
    manualSorting: true,
    enableMultiSort: false,
    enableSortingRemoval: false,
    state: { sorting },
    onSortingChange: (next) => {
      setSorting(next);
      // A cursor belongs to its order: the new order starts at its first page.
      pages.reset();
    },
  });

  return (
    <div className="grid gap-6 lg:grid-cols-[22rem_1fr]">
      <ContactForm
        key={editing?.id ?? "new"}
        contact={editing}
        onDone={() => {
          setEditing(null);
          pages.reset();
          void refresh();
        }}
      />
      <Card title={pages.page > 1 ? `Your contacts, page ${pages.page}` : "Your contacts"}>
        {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
        {remove.error ? <Alert>{errorMessage(remove.error)}</Alert> : null}
        <DataTable
          table={table}
          label="Your contacts"
          rowTestId="contact-row"
          empty={
            list.isSuccess && contacts.length === 0 && !pages.hasPrevious ? (
              <p className="px-3 py-6 text-center text-sm text-slate-500">No contacts yet. Add one with the form.</p>
            ) : null
          }
        />
        <CursorPager pages={pages} nextCursor={list.data?.nextCursor} />
      </Card>
    </div>
  );
}

type ContactValues = { name: string; email: string; phone: string; notes: string };
const CONTACT_FIELDS = { fields: ["name", "email", "phone", "notes"] } as const;

/**
 * Create or edit, validated with the procedures' own schemas (createContactInput, updateContactInput).
 * A refused contact stays in the form: the error is shown under the field it concerns.
 */
function ContactForm({ contact, onDone }: { contact: Contact | null; onDone: () => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.contacts.create.mutationOptions());
  const update = useMutation(trpc.contacts.update.mutationOptions());
  const defaultValues: ContactValues = {
    name: contact?.name ?? "",
    email: contact?.email ?? "",
    phone: contact?.phone ?? "",
    notes: contact?.notes ?? "",
  };
  const createForm = useSchemaForm(createContactInput, {
    defaultValues,
    toInput: (v: ContactValues) => ({ ...v, phone: optionalText(v.phone), notes: optionalText(v.notes) }),
  });
  const editForm = useSchemaForm(updateContactInput, {
    defaultValues,
    // On an edit an emptied phone or note is removed (null), not left as it was.
    toInput: (v: ContactValues) => ({
      id: contact?.id,
      ...v,
      phone: optionalText(v.phone) ?? null,
      notes: optionalText(v.notes) ?? null,
    }),
  });
  const form = contact ? editForm : createForm;

  const onSubmit = contact
    ? editForm.handleSubmit(async (input) => {
        try {
          const saved = await update.mutateAsync(input);
          toast.success(`Saved ${saved.name}.`);
          onDone();
        } catch (error) {
          showRefusal(editForm, error, CONTACT_FIELDS);
        }
      })
    : createForm.handleSubmit(async (input) => {
        try {
          const saved = await create.mutateAsync(input);
          toast.success(`Added ${saved.name}.`);
          createForm.reset();
          onDone();
        } catch (error) {
          showRefusal(createForm, error, CONTACT_FIELDS);
        }
      });

  return (
    <Card title={contact ? `Edit ${contact.name}` : "New contact"}>
      <form onSubmit={onSubmit} className="space-y-3" noValidate aria-label={contact ? "Edit contact" : "New contact"}>
        <FormMessage form={form} />
        <FormField form={form} name="name" label="Name" id="contact-name">
          {(control) => <Input {...control} autoComplete="off" />}
        </FormField>
        <FormField form={form} name="email" label="Email" id="contact-email">
          {(control) => <Input {...control} type="email" autoComplete="off" />}
        </FormField>
        <FormField
          form={form}
          name="phone"
          label="Phone"
          id="contact-phone"
          hint="International format, e.g. +41 44 668 18 00"
        >
          {(control) => <Input {...control} type="tel" autoComplete="off" />}
        </FormField>
        <FormField form={form} name="notes" label="Notes" id="contact-notes">
          {(control) => (
            <textarea
              {...control}
              rows={3}
              className="block w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm focus:border-brand-500 focus:outline-none aria-invalid:border-red-500"
            />
          )}
        </FormField>
        <div className="flex gap-2">
          <Button type="submit" disabled={form.formState.isSubmitting}>
            {contact ? "Save changes" : "Add contact"}
          </Button>
          {contact ? (
            <Button variant="secondary" onClick={onDone}>
              Cancel
            </Button>
          ) : null}
        </div>
      </form>
    </Card>
  );
}
