/**
 * The procedures that are deliberately NOT on the REST door (/api/v1), each
 * with its reason. Every other procedure has `meta.openapi`; a test
 * (rest-exposure.test.ts) walks the router and fails when a procedure is
 * neither on REST nor here, or both.
 */
export const NOT_ON_REST: Readonly<Record<string, string>> = {
  "account.me":
    "The dashboard's who-am-I for drawing its navigation; it declares no scope, so only a session may call it (an API client knows its token: GET /tokens, or OAuth introspection).",
  "account.changePassword":
    "Changing one's own password needs the current password in a signed-in session; a bearer credential must never be able to replace it (an admin sets one with PUT /admin/users/{id}/password).",
  "account.sessions":
    "The signed-in person's own sessions (device, IP, the current one marked), for their account page: a session is what it lists, so only a session may call it; an admin reads any user's with GET /admin/users/{id}/sessions.",
  "account.endSession":
    "Session-only, as account.sessions: the person ends a session of theirs, not an API credential (an admin: DELETE /admin/users/{id}/sessions/{sessionId}).",
  "account.endOtherSessions":
    'Session-only, as account.sessions: "sign out everywhere else" keeps the session making the call, which a bearer credential does not have.',
  "account.secondFactors.list":
    "One's own second factors, for the account page: session-only, like account.sessions (a bearer credential must not see or change what guards its owner's sign-in).",
  "account.secondFactors.startTotp":
    "Session-only, as account.secondFactors.list: enrolling a factor is the signed-in person's act.",
  "account.secondFactors.confirmTotp": "Session-only, as account.secondFactors.startTotp.",
  "account.secondFactors.remove": "Session-only, as account.secondFactors.list, and wants a recent check (step-up).",
  "account.secondFactors.regenerateRecoveryCodes":
    "Session-only, as account.secondFactors.remove: recovery codes are shown once to the person at the dashboard.",
  "account.secondFactors.startPasskey":
    "Session-only, as account.secondFactors.startTotp: the challenge is bound to the calling session, and only a browser can answer it.",
  "account.secondFactors.confirmPasskey": "Session-only, as account.secondFactors.startPasskey.",
  "signIn.passkeyOptions":
    "The sign-in form's passkey challenge, bound to the pending sign-in in its HttpOnly cookie: part of the browser's sign-in, which REST never takes part in.",
  "account.stepUp":
    "Records a second-factor check on the calling session (step-up); bearer credentials are not held to step-up, so they have nothing to record it on.",
  "account.stepUpPasskeyOptions": "Session-only, as account.stepUp: the challenge is bound to the calling session.",
  "account.stepUpWithPasskey":
    "Session-only, as account.stepUp: a passkey's answer recorded as a check on the calling session.",
  "oauthApps.list":
    "The signed-in user's authorised applications, for their settings page: session-only, so an OAuth access token cannot list or revoke the very grant it rides on.",
  "oauthApps.revoke": "Session-only, as oauthApps.list: the person revokes an application, not an API credential.",
  "admin.overview.traffic":
    "The dashboard's chart series (per-hour buckets shaped for its charts); automation reads the same counters from /api/metrics (Prometheus) instead.",
};
