import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { z } from "zod";
import { AppError } from "../errors";
import { relyingPartyOf, startPasskeySignIn } from "../services/second-factors-passkeys";
import { findPendingSignIn } from "../services/second-factors-pending";
import { publicProcedure, router } from "../trpc";
import { webauthnOptions } from "./webauthn-options";

/**
 * The sign-in form's one tRPC call. The password step and the code step go
 * through NextAuth's credentials endpoint (server/auth/nextauth.ts); a
 * passkey answer does too, but its challenge must come first: this issues
 * it, bound to the pending sign-in whose HttpOnly cookie the request
 * carries (no cookie, an unknown or expired one: 404 `sign_in_expired`).
 */
export const signInRouter = router({
  passkeyOptions: publicProcedure
    .input(z.void())
    // PublicKeyCredentialRequestOptionsJSON, handed to @simplewebauthn/browser's startAuthentication as is.
    .output(webauthnOptions<PublicKeyCredentialRequestOptionsJSON>())
    .mutation(async ({ ctx }) => {
      const pending = await findPendingSignIn(ctx.db, ctx.clock, ctx.pendingSignInHandle);
      if (!pending) {
        throw new AppError("NOT_FOUND", "No sign-in is waiting for a second factor", "sign_in_expired").toTRPCError();
      }
      if (!ctx.config) throw new AppError("INTERNAL", "No configuration", "no_config").toTRPCError();
      const options = await startPasskeySignIn(
        ctx.db,
        ctx.clock,
        ctx.client,
        relyingPartyOf(ctx.config.appUrl),
        pending,
      );
      if (!options) throw new AppError("NOT_FOUND", "This account has no passkey", "no_passkey").toTRPCError();
      return options;
    }),
});
