"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { type FormEvent, useState } from "react";
import type { AppRouter } from "@/server/root";
import { errorMessage, useTRPC } from "../trpc";
import { Alert, Button, Card, Field, Input, Table } from "../ui";
import { ConfirmDialog } from "../ui/confirm-dialog";
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

function ContactForm({ contact, onDone }: { contact: Contact | null; onDone: () => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.contacts.create.mutationOptions({ onSuccess: onDone }));
  const update = useMutation(trpc.contacts.update.mutationOptions({ onSuccess: onDone }));
  const pending = create.isPending || update.isPending;
  const error = create.error ?? update.error;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? "").trim();
    const values = { name: text("name"), email: text("email"), phone: text("phone"), notes: text("notes") };
    if (contact) {
      update.mutate({
        id: contact.id,
        name: values.name,
        email: values.email,
        phone: values.phone || null,
        notes: values.notes || null,
      });
    } else {
      create.mutate({
        name: values.name,
        email: values.email,
        phone: values.phone || undefined,
        notes: values.notes || undefined,
      });
      event.currentTarget.reset();
    }
  }

  return (
    <Card title={contact ? `Edit ${contact.name}` : "New contact"}>
      <form onSubmit={onSubmit} className="space-y-3" noValidate aria-label={contact ? "Edit contact" : "New contact"}>
        {error ? <Alert>{errorMessage(error)}</Alert> : null}
        <Field label="Name" htmlFor="contact-name">
          <Input id="contact-name" name="name" defaultValue={contact?.name} required maxLength={200} />
        </Field>
        <Field label="Email" htmlFor="contact-email">
          <Input id="contact-email" name="email" type="email" defaultValue={contact?.email} required maxLength={254} />
        </Field>
        <Field label="Phone" htmlFor="contact-phone" hint="International format, e.g. +41 44 668 18 00">
          <Input id="contact-phone" name="phone" type="tel" defaultValue={contact?.phone ?? ""} maxLength={40} />
        </Field>
        <Field label="Notes" htmlFor="contact-notes">
          <textarea
            id="contact-notes"
            name="notes"
            defaultValue={contact?.notes ?? ""}
            maxLength={2000}
            rows={3}
            className="block w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm focus:border-brand-500 focus:outline-none"
          />
        </Field>
        <div className="flex gap-2">
          <Button type="submit" disabled={pending}>
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
