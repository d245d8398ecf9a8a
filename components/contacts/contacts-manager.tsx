"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import type { AppRouter } from "@/server/root";
import { createContactInput, updateContactInput } from "@/server/routers/contacts/schemas";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Button, Card, Input, Table, toast } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { FormField, FormMessage, optionalText, showRefusal, useSchemaForm } from "../ui/form";
import { useCursorPages } from "../use-cursor-pages";

type Contact = inferRouterOutputs<AppRouter>["contacts"]["get"];

/** The typed frontend: every call below is checked against the router's types at build time. */
export function ContactsManager() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Contact | null>(null);

  const pages = useCursorPages<string>();
  const list = useQuery({
    ...trpc.contacts.list.queryOptions({ limit: 20, cursor: pages.cursor }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.contacts.list.pathKey() });

  const remove = useMutation(trpc.contacts.delete.mutationOptions({ onSuccess: refresh }));
  const contacts = list.data?.items ?? [];

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
        <Table
          head={["Name", "Email", "Phone", "Notes", ""]}
          empty={
            list.isSuccess && contacts.length === 0 ? (
              <p className="px-3 py-6 text-center text-sm text-slate-500">No contacts yet. Add one with the form.</p>
            ) : null
          }
        >
          {contacts.map((c) => (
            <tr key={c.id} data-testid="contact-row">
              <td className="px-3 py-2 font-medium">{c.name}</td>
              <td className="px-3 py-2">{c.email}</td>
              <td className="px-3 py-2">{c.phone ?? "—"}</td>
              <td className="max-w-xs truncate px-3 py-2 text-slate-600">{c.notes ?? ""}</td>
              <td className="whitespace-nowrap px-3 py-2 text-right">
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
              </td>
            </tr>
          ))}
        </Table>
        {pages.hasPrevious || list.data?.nextCursor ? (
          <div className="mt-4 flex justify-end gap-2">
            <Button variant="secondary" onClick={pages.previous} disabled={!pages.hasPrevious}>
              Previous
            </Button>
            <Button
              variant="secondary"
              onClick={() => list.data?.nextCursor && pages.next(list.data.nextCursor)}
              disabled={!list.data?.nextCursor}
            >
              Next
            </Button>
          </div>
        ) : null}
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
