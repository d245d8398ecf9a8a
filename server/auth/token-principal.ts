import type { CredentialError } from "../context";
import { getLogger } from "../logger";
import type { Runtime } from "../runtime";
import { checkToken } from "../services/token-check";
import type { ClientInfo, Principal } from "./principal";

export type BearerResolution = { principal: Principal; error: null } | { principal: null; error: CredentialError };

/**
 * Bearer credential -> live token row and owner -> principal. Expired,
 * revoked, unknown and disabled-owner tokens all become the same
 * `invalid_token` for the client (which of them it was is nobody's business
 * but the owner's); the log line names the token id when there is one,
 * never the credential.
 */
export async function principalFromBearer(
  credential: string,
  runtime: Runtime,
  client: ClientInfo,
): Promise<BearerResolution> {
  const check = await checkToken(runtime.db, runtime.clock, credential, client.ip);
  if (!check.ok) {
    if (check.tokenId) {
      // A known token used after its end is worth a line: it may have leaked.
      getLogger().info(
        { requestId: client.requestId, id: check.tokenId, reason: check.reason, ip: client.ip },
        "refused an API token",
      );
    }
    return { principal: null, error: "invalid_token" };
  }
  const { token, owner, scopes } = check;
  return {
    principal: {
      kind: "token",
      userId: owner.id,
      email: owner.email,
      role: owner.role,
      scopes,
      tokenId: token.id,
      // A user who must replace a one-time or reset password can do nothing
      // else, whatever credential they present (fail closed).
      mustChangePassword: owner.mustChangePassword,
    },
    error: null,
  };
}
