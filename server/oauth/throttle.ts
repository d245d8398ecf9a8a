import type { ClientInfo } from "../auth/principal";
import { appErrorOf } from "../errors";
import { newRateLimitRecord } from "../ratelimit/record";
import { limiterFor } from "../ratelimit/runtime";
import type { Runtime } from "../runtime";
import { oauthRetryLater } from "./errors";

/**
 * The rate limit of the OAuth endpoints, before any body is read: 429 with
 * Retry-After when the client IP is over its quota, 503 when the limiter's
 * store is down (this policy fails closed). RFC 6749 has no error code for
 * either; `temporarily_unavailable` is the closest, and the status says the rest.
 */
export async function throttleOAuth(runtime: Runtime, client: ClientInfo, path: string): Promise<void> {
  try {
    await limiterFor(runtime).checkOAuthEndpoint({
      principal: null,
      ip: client.ip,
      path,
      db: runtime.db,
      clock: runtime.clock,
      client,
      record: newRateLimitRecord(),
    });
  } catch (error) {
    const app = appErrorOf(error);
    throw (app && oauthRetryLater(app)) ?? error;
  }
}
