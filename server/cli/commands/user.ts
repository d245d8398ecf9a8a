import { ROLES } from "@/db/schema";
import { accountEmail } from "../../auth/account-email";
import { AppError } from "../../errors";
import { createUserInput, listUsersInput } from "../../routers/admin/users.schemas";
import type { ServiceContext } from "../../services/context";
import {
  createUser,
  findUserByEmail,
  listUsers,
  setUserDisabled,
  setUserPassword,
  type UserSummary,
} from "../../services/users";
import { table } from "../output";
import { defineCommand } from "../registry";

/**
 * `user …` commands. They call the same service functions as the dashboard's
 * admin.users procedures (same checks, e.g. the last-admin rule, same audit
 * entries), with the same input rules as those procedures.
 */

// The very schemas of the admin.users procedures (routers/admin/users.schemas.ts): what the dashboard
// refuses, the command line refuses, and the other way round.
const { email, role, name, password } = createUserInput.shape;
const search = listUsersInput.shape.search;

const emailFlag = {
  type: "string",
  schema: accountEmail,
  placeholder: "E",
  description: "the user's email address",
} as const;
const passwordFlag = {
  type: "string",
  schema: password,
  placeholder: "P",
  description:
    "12 to 256 characters, not a common or guessable one; never printed; `-` reads it from stdin (or asks, unseen), keeping it out of shell history",
  secret: true,
} as const;

/** Operators name users by email; ids are for the API. */
async function userByEmail(svc: ServiceContext, address: string) {
  const row = await findUserByEmail(svc.db, address);
  if (!row) throw new AppError("NOT_FOUND", "No user with this email", "user_not_found");
  return row;
}

function status(user: UserSummary): string {
  if (user.disabled) return "disabled";
  return user.mustChangePassword ? "must change password" : "active";
}

defineCommand({
  path: ["user", "create"],
  summary: "Create a user with a password the operator chose (no change needed at first sign-in).",
  flags: {
    email: { ...emailFlag, schema: email },
    password: passwordFlag,
    role: { type: "string", schema: role, placeholder: ROLES.join("|"), description: "what the user may do" },
    name: { type: "string", schema: name, placeholder: "N", description: "display name" },
  },
  async run(ctx, input) {
    const user = await createUser(await ctx.services(), input);
    return { json: { user }, text: `Created user ${user.email} (${user.id}) with role ${user.role}.` };
  },
});

defineCommand({
  path: ["user", "list"],
  summary: "List users, by email; --search matches part of the email or name.",
  flags: {
    search: { type: "string", schema: search, placeholder: "S", description: "text to look for in email or name" },
  },
  async run(ctx, input) {
    const { db } = await ctx.services();
    // The service pages (at most 100 a call, as in the dashboard); a listing on a terminal wants everyone.
    const users: UserSummary[] = [];
    let total = 0;
    do {
      const page = await listUsers(
        db,
        { search: input.search || undefined, offset: users.length, limit: 100 },
        new Date(),
      );
      users.push(...page.items);
      total = page.total;
      if (page.items.length === 0) break;
    } while (users.length < total);
    const text = table(
      users,
      [
        { header: "EMAIL", value: (u) => u.email },
        { header: "NAME", value: (u) => u.name ?? "" },
        { header: "ROLE", value: (u) => u.role },
        { header: "STATUS", value: status },
        { header: "SESSIONS", value: (u) => String(u.activeSessions) },
        { header: "CREATED", value: (u) => u.createdAt },
        { header: "ID", value: (u) => u.id },
      ],
      "No users found.",
    );
    return { json: { users, total }, text };
  },
});

for (const disabled of [true, false]) {
  defineCommand({
    path: ["user", disabled ? "disable" : "enable"],
    summary: disabled
      ? "Disable a user: they cannot sign in and their sessions end at once."
      : "Enable a disabled user again.",
    flags: { email: emailFlag },
    async run(ctx, input) {
      const svc = await ctx.services();
      const user = await setUserDisabled(svc, (await userByEmail(svc, input.email)).id, disabled);
      const text = disabled ? `Disabled user ${user.email}; their sessions have ended.` : `Enabled user ${user.email}.`;
      return { json: { user }, text };
    },
  });
}

defineCommand({
  path: ["user", "set-password"],
  summary: "Set a user's password; their sessions end. An operator chose it, so no change is forced at sign-in.",
  flags: { email: emailFlag, password: passwordFlag },
  async run(ctx, input) {
    const svc = await ctx.services();
    const user = await setUserPassword(svc, (await userByEmail(svc, input.email)).id, input.password, {
      mustChange: false,
    });
    return { json: { user }, text: `Set a new password for ${user.email}; their sessions have ended.` };
  },
});
