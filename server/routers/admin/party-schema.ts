import { z } from "zod";

/** An actor or target as a person reads it (services/audit.ts, PartyRef); the id stays for links and copying. */
export const party = z
  .object({
    kind: z.enum(["user", "token", "oauth_client", "cli", "system", "anonymous", "other"]),
    id: z.string().nullable(),
    label: z.string().describe("What to show: an email, a token's or OAuth client's name, system, deleted user"),
    email: z.string().nullable().describe("The user's email (a token's owner's; the address a failed sign-in tried)"),
    name: z.string().nullable().describe("The user's, token's or OAuth client's name"),
    userId: z.string().nullable().describe("The user behind it (a token's owner)"),
    deleted: z.boolean().describe("The id names a record that no longer exists"),
  })
  .meta({ id: "AuditParty" });
