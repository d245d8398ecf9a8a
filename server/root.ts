import { accountRouter } from "./routers/account/router";
import { adminAuditRouter } from "./routers/admin/audit";
import { adminUsersRouter } from "./routers/admin/users";
import { contactsRouter } from "./routers/contacts/router";
import { createCallerFactory, router } from "./trpc";

/** Every procedure of Gatehouse; the same tree is served as tRPC and (where `meta.openapi` is set) as REST. */
export const appRouter = router({
  account: accountRouter,
  contacts: contactsRouter,
  admin: router({
    users: adminUsersRouter,
    audit: adminAuditRouter,
  }),
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
