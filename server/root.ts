import { accountRouter } from "./routers/account/router";
import { adminAuditRouter } from "./routers/admin/audit";
import { adminCorsRouter } from "./routers/admin/cors";
import { adminEncryptionRouter } from "./routers/admin/encryption";
import { adminOAuthClientsRouter } from "./routers/admin/oauth-clients";
import { adminOverviewRouter } from "./routers/admin/overview";
import { adminPostureRouter } from "./routers/admin/posture";
import { adminRateLimitsRouter } from "./routers/admin/rate-limits";
import { adminTokensRouter, adminUserTokensRouter } from "./routers/admin/tokens";
import { adminUsersRouter } from "./routers/admin/users";
import { contactsRouter } from "./routers/contacts/router";
import { oauthAppsRouter } from "./routers/oauth-apps/router";
import { rateLimitsRouter } from "./routers/rate-limits/router";
import { signInRouter } from "./routers/sign-in";
import { tokensRouter } from "./routers/tokens/router";
import { createCallerFactory, router } from "./trpc";

/** Every procedure of Gatehouse; the same tree is served as tRPC and (where `meta.openapi` is set) as REST. */
export const appRouter = router({
  account: accountRouter,
  contacts: contactsRouter,
  tokens: tokensRouter,
  rateLimits: rateLimitsRouter,
  oauthApps: oauthAppsRouter,
  signIn: signInRouter,
  admin: router({
    // admin.users.revokeAll, .tokens and .createToken live with the token code they drive (routers/admin/tokens.ts).
    users: router({ ...adminUsersRouter._def.record, ...adminUserTokensRouter._def.record }),
    tokens: adminTokensRouter,
    audit: adminAuditRouter,
    cors: adminCorsRouter,
    encryption: adminEncryptionRouter,
    rateLimits: adminRateLimitsRouter,
    overview: adminOverviewRouter,
    posture: adminPostureRouter,
    oauthClients: adminOAuthClientsRouter,
  }),
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
