import { accountEmail } from "../../auth/account-email";
import { AppError } from "../../errors";
import { resetSecondFactors } from "../../services/second-factors";
import { findUserByEmail } from "../../services/users";
import { defineCommand } from "../registry";

/**
 * `user 2fa reset`: for a person who lost their authenticator and their
 * recovery codes (an admin locked out of the dashboard, typically). Every
 * second factor, recovery code and half-done sign-in of theirs goes; audited
 * as `second_factor.reset` by the command line. They sign in with the
 * password alone next time and, as an admin under ADMIN_2FA=required, are
 * asked to enrol again before anything else.
 */
defineCommand({
  path: ["user", "2fa", "reset"],
  summary: "Remove a user's second factors and recovery codes (a locked-out admin); audited.",
  flags: {
    email: { type: "string", schema: accountEmail, placeholder: "E", description: "the user's email address" },
  },
  async run(ctx, input) {
    const svc = await ctx.services();
    const user = await findUserByEmail(svc.db, input.email);
    if (!user) throw new AppError("NOT_FOUND", "No user with this email", "user_not_found");
    const result = await resetSecondFactors(svc, user.id);
    return {
      json: { user: { id: user.id, email: user.email }, ...result },
      text: `Reset second factors of ${user.email}: ${result.factorsRemoved} factor(s) and ${result.recoveryCodesRemoved} recovery code(s) removed.`,
    };
  },
});
