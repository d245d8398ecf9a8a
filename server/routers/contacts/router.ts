import { z } from "zod";
import { createContact, deleteContact, getContact, listContacts, updateContact } from "../../services/contacts";
import { protectedProcedure, router } from "../../trpc";
import { serviceContext } from "../service-context";
import {
  contactIdInput,
  contactPageSchema,
  contactSchema,
  createContactInput,
  listContactsInput,
  updateContactInput,
} from "./schemas";

const TAGS = ["contacts"];

export const contactsRouter = router({
  list: protectedProcedure
    .meta({
      scopes: ["contacts:read"],
      openapi: {
        method: "GET",
        path: "/contacts",
        tags: TAGS,
        summary: "List your contacts, newest first unless sorted otherwise",
      },
    })
    .input(listContactsInput)
    .output(contactPageSchema)
    .query(({ ctx, input }) => listContacts(serviceContext(ctx), ctx.principal.userId, input)),

  get: protectedProcedure
    .meta({
      scopes: ["contacts:read"],
      openapi: { method: "GET", path: "/contacts/{id}", tags: TAGS, summary: "Get one of your contacts" },
    })
    .input(contactIdInput)
    .output(contactSchema)
    .query(({ ctx, input }) => getContact(serviceContext(ctx), ctx.principal.userId, input.id)),

  create: protectedProcedure
    .meta({
      scopes: ["contacts:write"],
      created: { location: "/contacts/{id}" },
      openapi: { method: "POST", path: "/contacts", tags: TAGS, summary: "Create a contact" },
    })
    .input(createContactInput)
    .output(contactSchema)
    .mutation(({ ctx, input }) => createContact(serviceContext(ctx), ctx.principal.userId, input)),

  update: protectedProcedure
    .meta({
      scopes: ["contacts:write"],
      openapi: { method: "PATCH", path: "/contacts/{id}", tags: TAGS, summary: "Change some fields of a contact" },
    })
    .input(updateContactInput)
    .output(contactSchema)
    .mutation(({ ctx, input }) => updateContact(serviceContext(ctx), ctx.principal.userId, input)),

  delete: protectedProcedure
    .meta({
      scopes: ["contacts:write"],
      openapi: { method: "DELETE", path: "/contacts/{id}", tags: TAGS, summary: "Delete a contact" },
    })
    .input(contactIdInput)
    .output(z.object({ id: z.string(), deleted: z.literal(true) }))
    .mutation(({ ctx, input }) => deleteContact(serviceContext(ctx), ctx.principal.userId, input.id)),
});
