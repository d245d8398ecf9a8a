/**
 * Generated from the OpenAPI document (server/http/openapi.ts) by openapi-typescript.
 * Do not edit: run `npm run openapi:types`; openapi-types.test.ts fails when this file is stale.
 */
export interface paths {
  "/contacts": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List your contacts, newest first unless sorted otherwise
     * @description List your contacts, newest first unless sorted otherwise.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `contacts:read`.
     */
    get: operations["contacts-list"];
    put?: never;
    /**
     * Create a contact
     * @description Create a contact.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `contacts:write`.
     *
     *     Answers 201 with `Location`: the created resource (/contacts/{id}).
     */
    post: operations["contacts-create"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/contacts/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Get one of your contacts
     * @description Get one of your contacts.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `contacts:read`.
     */
    get: operations["contacts-get"];
    put?: never;
    post?: never;
    /**
     * Delete a contact
     * @description Delete a contact.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `contacts:write`.
     *
     *     Answers 204 with no body.
     */
    delete: operations["contacts-delete"];
    options?: never;
    head?: never;
    /**
     * Change some fields of a contact
     * @description Change some fields of a contact.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `contacts:write`.
     */
    patch: operations["contacts-update"];
    trace?: never;
  };
  "/tokens/options": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Expiry rules and the scopes you can put on a token
     * @description Expiry rules and the scopes you can put on a token.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `tokens:read`.
     */
    get: operations["tokens-options"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/tokens": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List your API tokens, newest first
     * @description List your API tokens, newest first.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `tokens:read`.
     */
    get: operations["tokens-list"];
    put?: never;
    /**
     * Create an API token
     * @description The response carries the token itself, once. Only a hash is kept.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `tokens:write`.
     *
     *     Answers 201 with `Location`: the created resource (/tokens/{id}).
     */
    post: operations["tokens-create"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/tokens/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Get one of your API tokens (never its secret)
     * @description Get one of your API tokens (never its secret).
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `tokens:read`.
     */
    get: operations["tokens-get"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/tokens/{id}/revoke": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Revoke one of your tokens now
     * @description Revoke one of your tokens now.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `tokens:write`.
     */
    post: operations["tokens-revoke"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/tokens/{id}/rotate": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Replace a token, keeping the old one valid for a grace period
     * @description Replace a token, keeping the old one valid for a grace period.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `tokens:write`.
     */
    post: operations["tokens-rotate"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/tokens/revoke-all": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Sign out everywhere: end all your sessions and revoke all your tokens
     * @description Sign out everywhere: end all your sessions and revoke all your tokens.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `tokens:write`.
     */
    post: operations["tokens-revokeAll"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/rate-limits/tokens": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The effective rate limit of each of your API tokens
     * @description The effective rate limit of each of your API tokens.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `tokens:read`.
     */
    get: operations["rateLimits-tokens"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/users": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List users by email
     * @description List users by email.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-users-list"];
    put?: never;
    /**
     * Create a user
     * @description The user must replace the password given here at first sign-in.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     *
     *     Answers 201 with `Location`: the created resource (/admin/users/{id}).
     */
    post: operations["admin-users-create"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/users/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Get one user
     * @description Get one user.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-users-get"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/users/{id}/disabled": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Disable or enable a user
     * @description Disabling ends the user's sessions at once.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    put: operations["admin-users-setDisabled"];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/users/{id}/role": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Change a user's role
     * @description Change a user's role.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    put: operations["admin-users-setRole"];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/users/{id}/password": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Set a user's password
     * @description Ends the user's sessions; by default the user must replace it at the next sign-in.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    put: operations["admin-users-setPassword"];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/users/{id}/sessions": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A user's live sessions
     * @description A user's live sessions.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-users-sessions"];
    put?: never;
    post?: never;
    /**
     * End all of a user's sessions
     * @description End all of a user's sessions.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     *
     *     Answers 204 with no body.
     */
    delete: operations["admin-users-endSessions"];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/users/{id}/sessions/{sessionId}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * End one session of a user
     * @description End one session of a user.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     *
     *     Answers 204 with no body.
     */
    delete: operations["admin-users-endSession"];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/users/{id}/revoke-all": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * End all of a user's sessions and revoke all their tokens and OAuth grants
     * @description End all of a user's sessions and revoke all their tokens and OAuth grants.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    post: operations["admin-users-revokeAll"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/users/{id}/tokens": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A user's API tokens, newest first
     * @description A user's API tokens, newest first.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-users-tokens"];
    put?: never;
    /**
     * Create an API token for a user
     * @description The response carries the token itself, once; only a hash is kept. The scopes must be allowed to the user's role. Audited with the admin as actor.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     *
     *     Answers 201 with `Location`: the created resource (/admin/tokens/{id}).
     */
    post: operations["admin-users-createToken"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/tokens": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List every user's API tokens, newest first
     * @description List every user's API tokens, newest first.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-tokens-list"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/tokens/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Get any API token (never its secret)
     * @description Get any API token (never its secret).
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-tokens-get"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/tokens/{id}/revoke": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Revoke any API token now
     * @description Revoke any API token now.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    post: operations["admin-tokens-revoke"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/audit": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The audit log, newest first (or oldest first)
     * @description The audit log, newest first (or oldest first).
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-audit-list"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/audit/actions": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The actions in the log, by area
     * @description The actions in the log, by area.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-audit-actions"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/audit/verify": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Check the hash chain; the first broken link if any
     * @description Check the hash chain; the first broken link if any.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-audit-verify"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/audit/export": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Export the entries matching the filters, streamed as CSV or NDJSON
     * @description The answer is the file itself (text/csv or application/x-ndjson), streamed, with Content-Disposition; the export is recorded in the audit log first.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-audit-startExport"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/cors-origins": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The allowed origins
     * @description The allowed origins.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-cors-list"];
    put?: never;
    /**
     * Allow an origin
     * @description A wildcard origin needs confirmWildcard; credentials are off unless allowCredentials.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     *
     *     Answers 201 with `Location`: the created resource (/admin/cors-origins/{id}).
     */
    post: operations["admin-cors-add"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/cors-origins/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * One allowed origin
     * @description One allowed origin.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-cors-get"];
    put?: never;
    post?: never;
    /**
     * Remove an origin
     * @description Remove an origin.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     *
     *     Answers 204 with no body.
     */
    delete: operations["admin-cors-remove"];
    options?: never;
    head?: never;
    /**
     * Allow or refuse credentialed requests from an origin
     * @description Allow or refuse credentialed requests from an origin.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    patch: operations["admin-cors-setCredentials"];
    trace?: never;
  };
  "/admin/cors-check": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Dry run: the CORS answer a request from this origin would get
     * @description Dry run: the CORS answer a request from this origin would get.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-cors-test"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/encryption": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The encryption keys (ids, fingerprints, counts) and re-encryption progress
     * @description The encryption keys (ids, fingerprints, counts) and re-encryption progress.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-encryption-status"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/encryption/rotate": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Add a new encryption key and make it active
     * @description Takes about two seconds: the key is first added inactive, and becomes active once every server has loaded it. Then start re-encryption. 409 keys_in_environment when the keys come from ENCRYPTION_KEYS: rotate them where they are kept.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    post: operations["admin-encryption-rotate"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/encryption/reencrypt": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Start re-encrypting every stored value under the active key
     * @description Starts (or resumes) the job in the background and answers with it; follow it on GET /admin/encryption. 409 reencryption_running while a job is alive.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    post: operations["admin-encryption-reencrypt"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/rate-limits": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Policies, store health and counters
     * @description Policies, store health and counters.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-rateLimits-overview"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/rate-limits/overrides": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The per-user and per-token overrides
     * @description The per-user and per-token overrides.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-rateLimits-overrides"];
    put?: never;
    /**
     * Set the api limit of a user or a token
     * @description One override per user or token: setting it again replaces it (same id).
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     *
     *     Answers 201 with `Location`: the created resource (/admin/rate-limits/overrides/{id}).
     */
    post: operations["admin-rateLimits-setOverride"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/rate-limits/overrides/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * One override
     * @description One override.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-rateLimits-override"];
    put?: never;
    post?: never;
    /**
     * Remove an override
     * @description Remove an override.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     *
     *     Answers 204 with no body.
     */
    delete: operations["admin-rateLimits-removeOverride"];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/rate-limits/activity": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Who was limited in the last hour; current lockouts
     * @description Who was limited in the last hour; current lockouts.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-rateLimits-activity"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/rate-limits/unlock": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Clear a sign-in lockout (of an account by email, or a subject listed by activity)
     * @description Clear a sign-in lockout (of an account by email, or a subject listed by activity).
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    post: operations["admin-rateLimits-unlock"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/users/{userId}/token-limits": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The effective api limit of each of a user's tokens
     * @description The effective api limit of each of a user's tokens.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-rateLimits-tokenLimits"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/overview": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Headline counts: active and disabled users, contacts
     * @description Headline counts: active and disabled users, contacts.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-overview-summary"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/overview/instances": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The instances serving this database, which answered, and which went silent
     * @description The instances serving this database, which answered, and which went silent.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-overview-instances"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/posture": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Deployment posture: every rule with pass, warn or fail, what it means and how to fix it
     * @description Deployment posture: every rule with pass, warn or fail, what it means and how to fix it.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-posture-get"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/oauth-clients": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The registered OAuth clients
     * @description The registered OAuth clients.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-oauthClients-list"];
    put?: never;
    /**
     * Register an OAuth client
     * @description A confidential client's secret is in the answer, once; only its hash is kept.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     *
     *     Answers 201 with `Location`: the created resource (/admin/oauth-clients/{client.id}).
     */
    post: operations["admin-oauthClients-create"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/oauth-clients/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * One OAuth client
     * @description One OAuth client.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-oauthClients-get"];
    put?: never;
    post?: never;
    /**
     * Delete an OAuth client with its grants and tokens
     * @description Delete an OAuth client with its grants and tokens.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     *
     *     Answers 204 with no body.
     */
    delete: operations["admin-oauthClients-delete"];
    options?: never;
    head?: never;
    /**
     * Change an OAuth client's registration
     * @description Change an OAuth client's registration.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    patch: operations["admin-oauthClients-update"];
    trace?: never;
  };
  "/admin/oauth-clients/{id}/rotate-secret": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Replace a client's secret; the old one works for graceSeconds
     * @description Replace a client's secret; the old one works for graceSeconds.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    post: operations["admin-oauthClients-rotateSecret"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/oauth-clients/{id}/disabled": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Disable or enable an OAuth client
     * @description Disable or enable an OAuth client.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    put: operations["admin-oauthClients-setDisabled"];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/oauth-clients/{id}/grants": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A client's live grants, newest first
     * @description A client's live grants, newest first.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-oauthClients-grants"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/oauth-grants/{grantId}/revoke": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Revoke one grant and its tokens
     * @description Revoke one grant and its tokens.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    post: operations["admin-oauthClients-revokeGrant"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/oauth-signing-keys": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The JWT signing keys (public facts only)
     * @description Every key still published, newest first, in one page: a handful at most (one active per algorithm, and retired ones until their tokens expire).
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    get: operations["admin-oauthClients-signingKeys"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/admin/oauth-signing-keys/rotate": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Start signing with a new key now
     * @description Retires the current signing key (of one algorithm, or of each) and makes a new one. This instance signs with the new key from its next token on; every other instance within 30 seconds. Tokens the retired key signed stay valid until they expire: the key stays published in the JWKS that long.
     *
     *     Needs an API token or OAuth 2.0 access token with the scope `admin`.
     */
    post: operations["admin-oauthClients-rotateSigningKey"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    Contact: {
      id: string;
      name: string;
      email: string;
      phone: string | null;
      notes: string | null;
      /** Format: date-time */
      createdAt: string;
      /** Format: date-time */
      updatedAt: string;
    };
    ApiTokenOptions: {
      /** Format: int64 */
      defaultExpiresInSeconds: number;
      /** Format: int64 */
      maxExpiresInSeconds: number;
      allowNoExpiry: boolean;
      /** Format: int64 */
      maxGraceSeconds: number;
      scopes: {
        /**
         * @description contacts:read: Read your contacts; contacts:write: Create, change and delete your contacts; tokens:read: List your API tokens; tokens:write: Create, rotate and revoke your API tokens; admin: Administer Gatehouse: users, tokens, clients, origins, limits and the audit log; metrics:read: Read the Prometheus metrics at /api/metrics
         * @enum {string}
         */
        scope: "contacts:read" | "contacts:write" | "tokens:read" | "tokens:write" | "admin" | "metrics:read";
        description: string;
        /** @description Whether your credential may put this scope on a new token */
        grantable: boolean;
      }[];
    };
    ApiToken: {
      id: string;
      name: string;
      /** @description The prefix and last four characters, e.g. gth_…Xy9Z */
      display: string;
      /** @description As granted */
      scopes: ("contacts:read" | "contacts:write" | "tokens:read" | "tokens:write" | "admin" | "metrics:read")[];
      /** @description What the token can do now: its scopes within the owner's role */
      effectiveScopes: (
        | "contacts:read"
        | "contacts:write"
        | "tokens:read"
        | "tokens:write"
        | "admin"
        | "metrics:read"
      )[];
      /** @enum {string} */
      status: "active" | "expired" | "revoked";
      /** Format: date-time */
      createdAt: string;
      expiresAt: string | null;
      /** @description Recorded at most once a minute */
      lastUsedAt: string | null;
      lastUsedIp: string | null;
      revokedAt: string | null;
      revokedBy: string | null;
      revokedReason: ("revoked" | "rotated" | "revoke_all") | null;
      rotatedFromId: string | null;
      replacedById: string | null;
      /** @description After a rotation: when this token stops working */
      graceUntil: string | null;
      owner: {
        id: string;
        email: string;
        disabled: boolean;
      };
    };
    CreatedApiToken: {
      id: string;
      name: string;
      /** @description The prefix and last four characters, e.g. gth_…Xy9Z */
      display: string;
      /** @description As granted */
      scopes: ("contacts:read" | "contacts:write" | "tokens:read" | "tokens:write" | "admin" | "metrics:read")[];
      /** @description What the token can do now: its scopes within the owner's role */
      effectiveScopes: (
        | "contacts:read"
        | "contacts:write"
        | "tokens:read"
        | "tokens:write"
        | "admin"
        | "metrics:read"
      )[];
      /** @enum {string} */
      status: "active" | "expired" | "revoked";
      /** Format: date-time */
      createdAt: string;
      expiresAt: string | null;
      /** @description Recorded at most once a minute */
      lastUsedAt: string | null;
      lastUsedIp: string | null;
      revokedAt: string | null;
      revokedBy: string | null;
      revokedReason: ("revoked" | "rotated" | "revoke_all") | null;
      rotatedFromId: string | null;
      replacedById: string | null;
      /** @description After a rotation: when this token stops working */
      graceUntil: string | null;
      owner: {
        id: string;
        email: string;
        disabled: boolean;
      };
      /** @description The token itself. It is shown this once and cannot be retrieved again. */
      token: string;
    };
    RotatedApiToken: {
      id: string;
      name: string;
      /** @description The prefix and last four characters, e.g. gth_…Xy9Z */
      display: string;
      /** @description As granted */
      scopes: ("contacts:read" | "contacts:write" | "tokens:read" | "tokens:write" | "admin" | "metrics:read")[];
      /** @description What the token can do now: its scopes within the owner's role */
      effectiveScopes: (
        | "contacts:read"
        | "contacts:write"
        | "tokens:read"
        | "tokens:write"
        | "admin"
        | "metrics:read"
      )[];
      /** @enum {string} */
      status: "active" | "expired" | "revoked";
      /** Format: date-time */
      createdAt: string;
      expiresAt: string | null;
      /** @description Recorded at most once a minute */
      lastUsedAt: string | null;
      lastUsedIp: string | null;
      revokedAt: string | null;
      revokedBy: string | null;
      revokedReason: ("revoked" | "rotated" | "revoke_all") | null;
      rotatedFromId: string | null;
      replacedById: string | null;
      /** @description After a rotation: when this token stops working */
      graceUntil: string | null;
      owner: {
        id: string;
        email: string;
        disabled: boolean;
      };
      /** @description The token itself. It is shown this once and cannot be retrieved again. */
      token: string;
      /** @description The old token, valid until its graceUntil */
      previous: components["schemas"]["ApiToken"];
    };
    TokenRateLimit: {
      tokenId: string;
      /**
       * Format: int64
       * @description Requests (cost units) allowed per window
       */
      limit: number;
      /** Format: int64 */
      windowSeconds: number;
      /**
       * @description default: RATE_LIMIT_API; user: an override for the owner; token: an override for this token
       * @enum {string}
       */
      source: "default" | "user" | "token";
      /** @description When the override ends (null: no override, or no end) */
      overrideExpiresAt: string | null;
    };
    AdminListedUser: {
      id: string;
      email: string;
      name: string | null;
      /** @enum {string} */
      role: "admin" | "member";
      disabled: boolean;
      mustChangePassword: boolean;
      activeSessions: number;
      createdAt: string;
      /** @description The newest sign-in on record in the audit log */
      lastSignInAt: string | null;
    };
    AdminUser: {
      id: string;
      email: string;
      name: string | null;
      /** @enum {string} */
      role: "admin" | "member";
      disabled: boolean;
      mustChangePassword: boolean;
      activeSessions: number;
      createdAt: string;
    };
    AdminSession: {
      id: string;
      createdAt: string;
      lastSeenAt: string;
      expiresAt: string;
      ip: string | null;
      userAgent: string | null;
    };
    AuditEntry: {
      seq: number;
      id: string;
      at: string;
      /** @enum {string} */
      actorKind: "user" | "token" | "oauth_client" | "cli" | "system" | "anonymous";
      actorId: string | null;
      action: string;
      targetType: string | null;
      targetId: string | null;
      /** @enum {string} */
      outcome: "success" | "failure" | "denied";
      ip: string | null;
      userAgent: string | null;
      requestId: string | null;
      detail: {
        [key: string]: unknown;
      } | null;
      prevHash: string;
      hash: string;
      actor: components["schemas"]["AuditParty"];
      target: components["schemas"]["AuditParty"] | null;
    };
    AuditParty: {
      /** @enum {string} */
      kind: "user" | "token" | "oauth_client" | "cli" | "system" | "anonymous" | "other";
      id: string | null;
      /** @description What to show: an email, a token's or OAuth client's name, system, deleted user */
      label: string;
      /** @description The user's email (a token's owner's; the address a failed sign-in tried) */
      email: string | null;
      /** @description The user's, token's or OAuth client's name */
      name: string | null;
      /** @description The user behind it (a token's owner) */
      userId: string | null;
      /** @description The id names a record that no longer exists */
      deleted: boolean;
    };
    ListedCorsOrigin: {
      id: string;
      origin: string;
      note: string | null;
      allowCredentials: boolean;
      createdBy: string | null;
      createdAt: string;
      updatedAt: string;
      /** @description Who added it (from createdBy) */
      addedBy: components["schemas"]["AuditParty"] | null;
    };
    CorsOrigin: {
      id: string;
      origin: string;
      note: string | null;
      allowCredentials: boolean;
      createdBy: string | null;
      createdAt: string;
      updatedAt: string;
    };
    ReencryptionJob: {
      /** Format: int64 */
      id: number;
      targetKeyId: string;
      /** @enum {string} */
      status: "running" | "finished" | "superseded";
      /** Format: int64 */
      total: number;
      /** Format: int64 */
      done: number;
      startedAt: string;
      updatedAt: string;
      finishedAt: string | null;
    };
    OAuthClient: {
      /** @description The client_id */
      id: string;
      name: string;
      /** @enum {string} */
      type: "confidential" | "public";
      redirectUris: string[];
      grantTypes: ("authorization_code" | "refresh_token" | "client_credentials")[];
      /** @description The most any token of this client may carry */
      scopes: ("contacts:read" | "contacts:write" | "tokens:read" | "tokens:write" | "admin" | "metrics:read")[];
      /** Format: int64 */
      accessTokenTtlSeconds: number;
      /** Format: int64 */
      refreshTokenTtlSeconds: number;
      /**
       * @description The JWS algorithm its access tokens are signed with
       * @enum {string}
       */
      accessTokenSigningAlg: "ES256" | "RS256";
      /** @description The prefix and last four characters of the current secret; null for public clients */
      secretDisplay: string | null;
      secretRotatedAt: string | null;
      /** @description While the secret replaced by the last rotation still works: until when */
      previousSecretExpiresAt: string | null;
      serviceUserId: string | null;
      /** Format: date-time */
      createdAt: string;
      disabledAt: string | null;
      /** Format: int64 */
      activeGrants: number;
    };
    /** @description RFC 9457 problem details, as every error of the REST door is sent (`application/problem+json`). Branch on `type`. */
    Problem: {
      /** @description `urn:gatehouse:problem:<reason>` for Gatehouse's own reasons (e.g. `invalid_input`, `insufficient_scope`, `not_found`), `https://iana.org/assignments/http-problem-types#quota-exceeded` for a 429, `about:blank` when no more is known than the status */
      type: string;
      /** @description The status's name */
      title: string;
      /** Format: int32 */
      status: number;
      /** @description What went wrong, for a person */
      detail?: string;
      /** @description The request id (also in `X-Request-Id`), to quote when reporting a problem */
      instance?: string;
      /** @description On `invalid_input`: each offending field */
      errors?: {
        /** @description The field, dotted (`scopes.0`); `(body)` for the input as a whole */
        path: string;
        message: string;
      }[];
      /** @description On `insufficient_scope`: the scopes the operation requires */
      scopes?: ("contacts:read" | "contacts:write" | "tokens:read" | "tokens:write" | "admin" | "metrics:read")[];
      /** @description On a 429: the rate-limit policies the call exceeded (as named in `RateLimit-Policy`) */
      "violated-policies"?: string[];
      /**
       * Format: int32
       * @description On a 429 or 503: the same seconds as `Retry-After`
       */
      retryAfterSeconds?: number;
    };
  };
  responses: {
    /** @description The input is invalid (`invalid_input`, each offending field in `errors`; nothing was changed), the body is not valid JSON (`malformed_json`), or the Authorization header is malformed or a credential is in the URL (`invalid_request`, with a Bearer challenge) */
    BadRequest: {
      headers: {
        "X-Request-Id": components["headers"]["X-Request-Id"];
        "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
        "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
        RateLimit: components["headers"]["RateLimit"];
        "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
        /**
         * @description The Bearer challenge (RFC 6750 §3): `Bearer realm="gatehouse"`, with `error="invalid_token"` for a credential that is not a live token, `error="invalid_request"` for a malformed Authorization header, `error="insufficient_scope"` and `scope` for a credential without the scope.
         * @example Bearer realm="gatehouse", error="insufficient_scope", scope="contacts:read"
         */
        "WWW-Authenticate"?: string;
        [name: string]: unknown;
      };
      content: {
        "application/problem+json": components["schemas"]["Problem"];
      };
    };
    /** @description No credential (`missing_credentials`), or one that is not a live token (`invalid_token`): expired, revoked or unknown */
    Unauthorized: {
      headers: {
        "X-Request-Id": components["headers"]["X-Request-Id"];
        "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
        "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
        RateLimit: components["headers"]["RateLimit"];
        "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
        /**
         * @description The Bearer challenge (RFC 6750 §3): `Bearer realm="gatehouse"`, with `error="invalid_token"` for a credential that is not a live token, `error="invalid_request"` for a malformed Authorization header, `error="insufficient_scope"` and `scope` for a credential without the scope.
         * @example Bearer realm="gatehouse", error="insufficient_scope", scope="contacts:read"
         */
        "WWW-Authenticate": string;
        [name: string]: unknown;
      };
      content: {
        "application/problem+json": components["schemas"]["Problem"];
      };
    };
    /** @description The credential lacks the operation's scope (`insufficient_scope`, with `scopes` and a Bearer challenge), its owner's role does not allow it (`admin_required`), the owner must first replace a one-time password (`password_change_required`), or the request came over plain HTTP where HTTPS is required (`https_required`) */
    Forbidden: {
      headers: {
        "X-Request-Id": components["headers"]["X-Request-Id"];
        "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
        "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
        RateLimit: components["headers"]["RateLimit"];
        "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
        /**
         * @description The Bearer challenge (RFC 6750 §3): `Bearer realm="gatehouse"`, with `error="invalid_token"` for a credential that is not a live token, `error="invalid_request"` for a malformed Authorization header, `error="insufficient_scope"` and `scope` for a credential without the scope.
         * @example Bearer realm="gatehouse", error="insufficient_scope", scope="contacts:read"
         */
        "WWW-Authenticate"?: string;
        [name: string]: unknown;
      };
      content: {
        "application/problem+json": components["schemas"]["Problem"];
      };
    };
    /** @description No such record of yours (another user's record is not found either, never forbidden) */
    NotFound: {
      headers: {
        "X-Request-Id": components["headers"]["X-Request-Id"];
        "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
        "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
        RateLimit: components["headers"]["RateLimit"];
        "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
        [name: string]: unknown;
      };
      content: {
        "application/problem+json": components["schemas"]["Problem"];
      };
    };
    /** @description The request conflicts with the record's current state; `type` names the reason */
    Conflict: {
      headers: {
        "X-Request-Id": components["headers"]["X-Request-Id"];
        "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
        "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
        RateLimit: components["headers"]["RateLimit"];
        "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
        [name: string]: unknown;
      };
      content: {
        "application/problem+json": components["schemas"]["Problem"];
      };
    };
    /** @description The body is larger than the server accepts (MAX_BODY_BYTES); it was not read */
    PayloadTooLarge: {
      headers: {
        "X-Request-Id": components["headers"]["X-Request-Id"];
        "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
        "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
        [name: string]: unknown;
      };
      content: {
        "application/problem+json": components["schemas"]["Problem"];
      };
    };
    /** @description A body that is not `application/json` */
    UnsupportedMediaType: {
      headers: {
        "X-Request-Id": components["headers"]["X-Request-Id"];
        "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
        "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
        [name: string]: unknown;
      };
      content: {
        "application/problem+json": components["schemas"]["Problem"];
      };
    };
    /** @description A rate limit was exceeded: the policies in `violated-policies`, and when to retry in `Retry-After` (and `retryAfterSeconds`) */
    TooManyRequests: {
      headers: {
        "X-Request-Id": components["headers"]["X-Request-Id"];
        "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
        "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
        /**
         * @description draft-ietf-httpapi-ratelimit-headers: per policy that applied, the units remaining (`r`) and the seconds until its window resets (`t`), as a Structured Field List. Sent whenever the rate-limit step ran for the request (not when the limiter's store was down and the call was let through).
         * @example "api";r=599;t=60
         */
        RateLimit: string;
        /**
         * @description draft-ietf-httpapi-ratelimit-headers: per policy that applied, its quota (`q`) and window in seconds (`w`), as a Structured Field List. Sent with `RateLimit`.
         * @example "api";q=600;w=60
         */
        "RateLimit-Policy": string;
        /**
         * @description Whole seconds to wait before trying again (RFC 9110 §10.2.3)
         * @example 30
         */
        "Retry-After": number;
        [name: string]: unknown;
      };
      content: {
        "application/problem+json": components["schemas"]["Problem"];
      };
    };
    /** @description A stored value that did not open (`sealed_value_failed_authentication`, `sealed_value_key_missing`: the data or its key is damaged or missing), or an unexpected failure (`about:blank`, nothing internal in the body). Quote `instance` when reporting it. */
    InternalServerError: {
      headers: {
        "X-Request-Id": components["headers"]["X-Request-Id"];
        "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
        "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
        RateLimit: components["headers"]["RateLimit"];
        "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
        [name: string]: unknown;
      };
      content: {
        "application/problem+json": components["schemas"]["Problem"];
      };
    };
    /** @description Passing unavailability, retry after `Retry-After`: the database cannot be used right now (`storage_unavailable`), or the rate limiter's store is down and this operation fails closed (`rate_limit_unavailable`) */
    ServiceUnavailable: {
      headers: {
        "X-Request-Id": components["headers"]["X-Request-Id"];
        "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
        "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
        RateLimit: components["headers"]["RateLimit"];
        "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
        /**
         * @description Whole seconds to wait before trying again (RFC 9110 §10.2.3)
         * @example 30
         */
        "Retry-After": number;
        [name: string]: unknown;
      };
      content: {
        "application/problem+json": components["schemas"]["Problem"];
      };
    };
  };
  parameters: {
    /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
    RequestId: string;
  };
  requestBodies: never;
  headers: {
    /**
     * @description The request's id: the caller's own `X-Request-Id` when it is well-formed, otherwise one made by the server. Also in every log line and audit entry of the request.
     * @example req_0123456789abcdefghij
     */
    "X-Request-Id": string;
    /**
     * @description CORS: sent only when the request's `Origin` is on the server's allow-list (Admin → CORS origins); the answer varies on `Origin`
     * @example https://app.example.com
     */
    "Access-Control-Allow-Origin": string;
    /** @description CORS: with `Access-Control-Allow-Origin`, the response headers a browser script may read (the rate-limit fields, `Retry-After`, `X-Request-Id`, `Location` …) */
    "Access-Control-Expose-Headers": string;
    /**
     * @description draft-ietf-httpapi-ratelimit-headers: per policy that applied, the units remaining (`r`) and the seconds until its window resets (`t`), as a Structured Field List. Sent whenever the rate-limit step ran for the request (not when the limiter's store was down and the call was let through).
     * @example "api";r=599;t=60
     */
    RateLimit: string;
    /**
     * @description draft-ietf-httpapi-ratelimit-headers: per policy that applied, its quota (`q`) and window in seconds (`w`), as a Structured Field List. Sent with `RateLimit`.
     * @example "api";q=600;w=60
     */
    "RateLimit-Policy": string;
    /**
     * @description The created resource: an absolute path under /api/v1 (resolve it against the URL you called); GET it to read what was created
     * @example /api/v1/contacts/con_0123456789abcdefghij
     */
    Location: string;
    /**
     * @description A streamed file: `attachment` and its file name
     * @example attachment; filename="gatehouse-audit-2026-01-15.csv"
     */
    "Content-Disposition": string;
  };
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  "contacts-list": {
    parameters: {
      query?: {
        limit?: number;
        sort?: "createdAt" | "name";
        direction?: "asc" | "desc";
        cursor?: string;
        email?: string;
      };
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: components["schemas"]["Contact"][];
            nextCursor: string | null;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "contacts-create": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          name: string;
          email: string;
          phone?: string;
          notes?: string;
        };
      };
    };
    responses: {
      /** @description Created */
      201: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          Location: components["headers"]["Location"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Contact"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "contacts-get": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Contact"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "contacts-delete": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Done; no content */
      204: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content?: never;
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "contacts-update": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          name?: string;
          email?: string;
          phone?: string | null;
          notes?: string | null;
        };
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Contact"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "tokens-options": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["ApiTokenOptions"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "tokens-list": {
    parameters: {
      query?: {
        status?: "active" | "expired" | "revoked";
        sort?: "createdAt" | "lastUsedAt" | "name";
        direction?: "asc" | "desc";
        cursor?: string;
        limit?: number;
        offset?: number;
      };
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: components["schemas"]["ApiToken"][];
            /** @description Pass as `cursor` for the next page; null on the last page */
            nextCursor: string | null;
            /**
             * Format: int64
             * @description Tokens matching the filters
             */
            total: number;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "tokens-create": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          name: string;
          scopes: ("contacts:read" | "contacts:write" | "tokens:read" | "tokens:write" | "admin" | "metrics:read")[];
          /** @description Lifetime in seconds. Omit for the server's default (90 days unless configured); null for a token that never expires, where the server allows it. The server's maximum applies (TOKEN_MAX_TTL). */
          expiresInSeconds?: number | null;
        };
      };
    };
    responses: {
      /** @description Created */
      201: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          Location: components["headers"]["Location"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["CreatedApiToken"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      /** @description The user no longer exists */
      404: components["responses"]["NotFound"];
      /** @description Too many active tokens */
      409: components["responses"]["Conflict"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "tokens-get": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["ApiToken"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      /** @description No such token of yours */
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "tokens-revoke": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["ApiToken"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      /** @description No such token of yours */
      404: components["responses"]["NotFound"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "tokens-rotate": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          /**
           * Format: int32
           * @description How long the old token keeps working (0 to 604800 seconds; default one day; 0 revokes it now)
           * @default 86400
           */
          graceSeconds?: number;
        };
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["RotatedApiToken"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      /** @description No such token of yours */
      404: components["responses"]["NotFound"];
      /** @description Already rotated, or no longer active */
      409: components["responses"]["Conflict"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "tokens-revokeAll": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": Record<string, never>;
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** Format: int64 */
            sessionsEnded: number;
            /** Format: int64 */
            tokensRevoked: number;
            /** Format: int64 */
            oauthGrantsRevoked: number;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "rateLimits-tokens": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            default: {
              /** Format: int64 */
              limit: number;
              /** Format: int64 */
              windowSeconds: number;
            };
            items: components["schemas"]["TokenRateLimit"][];
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-users-list": {
    parameters: {
      query?: {
        search?: string;
        role?: "admin" | "member";
        status?: "active" | "must_change_password" | "disabled";
        sort?: "email" | "createdAt" | "lastSignInAt";
        direction?: "asc" | "desc";
        cursor?: string;
        limit?: number;
        offset?: number;
      };
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: components["schemas"]["AdminListedUser"][];
            /** @description Pass as `cursor` for the next page; null on the last page */
            nextCursor: string | null;
            /**
             * Format: int64
             * @description Users matching the filters
             */
            total: number;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-users-create": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          email: string;
          name?: string;
          /** @enum {string} */
          role: "admin" | "member";
          password: string;
        };
      };
    };
    responses: {
      /** @description Created */
      201: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          Location: components["headers"]["Location"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["AdminUser"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-users-get": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["AdminUser"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-users-setDisabled": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          disabled: boolean;
        };
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["AdminUser"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-users-setRole": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          /** @enum {string} */
          role: "admin" | "member";
        };
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["AdminUser"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-users-setPassword": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          password: string;
          /** @default true */
          mustChange?: boolean;
        };
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["AdminUser"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-users-sessions": {
    parameters: {
      query?: {
        cursor?: string;
        limit?: number;
      };
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: components["schemas"]["AdminSession"][];
            /** @description Pass as `cursor` for the next page; null on the last page */
            nextCursor: string | null;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-users-endSessions": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Done; no content */
      204: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content?: never;
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-users-endSession": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
        sessionId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Done; no content */
      204: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content?: never;
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-users-revokeAll": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** Format: int64 */
            sessionsEnded: number;
            /** Format: int64 */
            tokensRevoked: number;
            /** Format: int64 */
            oauthGrantsRevoked: number;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-users-tokens": {
    parameters: {
      query?: {
        status?: "active" | "expired" | "revoked";
        sort?: "createdAt" | "lastUsedAt" | "name";
        direction?: "asc" | "desc";
        cursor?: string;
        limit?: number;
        offset?: number;
      };
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: components["schemas"]["ApiToken"][];
            /** @description Pass as `cursor` for the next page; null on the last page */
            nextCursor: string | null;
            /**
             * Format: int64
             * @description Tokens matching the filters
             */
            total: number;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-users-createToken": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          name: string;
          scopes: ("contacts:read" | "contacts:write" | "tokens:read" | "tokens:write" | "admin" | "metrics:read")[];
          /** @description Lifetime in seconds. Omit for the server's default (90 days unless configured); null for a token that never expires, where the server allows it. The server's maximum applies (TOKEN_MAX_TTL). */
          expiresInSeconds?: number | null;
        };
      };
    };
    responses: {
      /** @description Created */
      201: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          Location: components["headers"]["Location"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["CreatedApiToken"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-tokens-list": {
    parameters: {
      query?: {
        ownerEmail?: string;
        search?: string;
        status?: "active" | "expired" | "revoked";
        sort?: "createdAt" | "lastUsedAt" | "name";
        direction?: "asc" | "desc";
        cursor?: string;
        limit?: number;
        offset?: number;
      };
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: components["schemas"]["ApiToken"][];
            /** @description Pass as `cursor` for the next page; null on the last page */
            nextCursor: string | null;
            /**
             * Format: int64
             * @description Tokens matching the filters
             */
            total: number;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-tokens-get": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["ApiToken"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-tokens-revoke": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["ApiToken"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-audit-list": {
    parameters: {
      query?: {
        actorId?: string;
        action?: string;
        targetId?: string;
        outcome?: "success" | "failure" | "denied";
        ip?: string;
        requestId?: string;
        since?: string;
        until?: string;
        text?: string;
        direction?: "asc" | "desc";
        cursor?: string;
        limit?: number;
      };
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: components["schemas"]["AuditEntry"][];
            /** @description Pass as `cursor` for the next page; null on the last page */
            nextCursor: string | null;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-audit-actions": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            area: string;
            actions: string[];
          }[];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-audit-verify": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            ok: boolean;
            checked: number;
            unchained: number;
            head: {
              seq: number;
              hash: string;
            } | null;
            resumesAfter: {
              throughSeq: number;
              throughHash: string;
            } | null;
            broken: {
              seq: number;
              id: string | null;
              /** @enum {string} */
              problem: "edited" | "link" | "missing_start" | "missing_end" | "unhashed";
              message: string;
            } | null;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-audit-startExport": {
    parameters: {
      query: {
        actorId?: string;
        action?: string;
        targetId?: string;
        outcome?: "success" | "failure" | "denied";
        ip?: string;
        requestId?: string;
        since?: string;
        until?: string;
        text?: string;
        format: "csv" | "ndjson";
      };
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK: the file, streamed */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          "Content-Disposition": components["headers"]["Content-Disposition"];
          [name: string]: unknown;
        };
        content: {
          "text/csv": string;
          "application/x-ndjson": string;
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-cors-list": {
    parameters: {
      query?: {
        cursor?: string;
        limit?: number;
        sort?: "origin" | "createdAt";
        direction?: "asc" | "desc";
      };
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: components["schemas"]["ListedCorsOrigin"][];
            /** @description Pass as `cursor` for the next page; null on the last page */
            nextCursor: string | null;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-cors-add": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          origin: string;
          note?: string;
          /** @default false */
          allowCredentials?: boolean;
          /** @default false */
          confirmWildcard?: boolean;
        };
      };
    };
    responses: {
      /** @description Created */
      201: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          Location: components["headers"]["Location"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["CorsOrigin"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-cors-get": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["CorsOrigin"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-cors-remove": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Done; no content */
      204: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content?: never;
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-cors-setCredentials": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          allowCredentials: boolean;
        };
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["CorsOrigin"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-cors-test": {
    parameters: {
      query: {
        origin: string;
        method?: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
        door?: "trpc" | "rest" | "oauth";
      };
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            allowed: boolean;
            credentials: boolean;
            entry: string | null;
            reason: string;
            preflight: {
              [key: string]: string;
            };
            response: {
              [key: string]: string;
            };
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-encryption-status": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** @enum {string} */
            source: "env" | "file" | "memory";
            keys: {
              id: string;
              fingerprint: string;
              recordedFingerprint: string | null;
              active: boolean;
              createdAt: string | null;
              /** Format: int64 */
              values: number;
              /** @enum {string} */
              check: "ok" | "unused" | "replaced" | "wrong_key" | "tampered";
              /** Format: int64 */
              sampled: number;
              /** Format: int64 */
              failed: number;
            }[];
            unknownKeys: {
              id: string;
              /** Format: int64 */
              values: number;
            }[];
            /** Format: int64 */
            unsealedValues: number;
            /** Format: int64 */
            rowsToReencrypt: number;
            job: {
              /** Format: int64 */
              id: number;
              targetKeyId: string;
              /** @enum {string} */
              status: "running" | "finished" | "superseded";
              /** Format: int64 */
              total: number;
              /** Format: int64 */
              done: number;
              startedAt: string;
              updatedAt: string;
              finishedAt: string | null;
              stalled: boolean;
            } | null;
            problems: string[];
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-encryption-rotate": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          /** @description The new key's id (default: the next k<n>); ids are never reused */
          keyId?: string;
        };
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            keyId: string;
            previousKeyId: string;
            fingerprint: string;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-encryption-reencrypt": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          /**
           * Format: int32
           * @description Rows per transaction
           * @default 500
           */
          batchSize?: number;
          /**
           * Format: int32
           * @description Pause between batches (ms)
           * @default 10
           */
          pauseMs?: number;
        };
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["ReencryptionJob"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-rateLimits-overview": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            store: {
              /** @enum {string} */
              kind: "embedded" | "postgres" | "redis" | "upstash";
              ok: boolean;
              latencyMs: number | null;
            };
            timeoutMs: number;
            policies: {
              name: string;
              description: string;
              env: string;
              per: string;
              /** @enum {string} */
              onStoreFailure: "open" | "closed";
              overridable: boolean;
              /** Format: int64 */
              limit: number;
              /** Format: int64 */
              windowSeconds: number;
            }[];
            procedures: {
              path: string;
              /** Format: int64 */
              cost: number;
              sensitive: boolean;
            }[];
            lockout: {
              /** Format: int64 */
              maxLockSeconds: number;
              /** Format: int64 */
              memorySeconds: number;
            };
            metrics: {
              checks: number;
              rejected: number;
              storeFailures: {
                open: number;
                closed: number;
              };
              lastStoreFailureAt: string | null;
            };
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-rateLimits-overrides": {
    parameters: {
      query?: {
        cursor?: string;
        limit?: number;
        sort?: "createdAt" | "subject" | "expiresAt";
        direction?: "asc" | "desc";
      };
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              id: string;
              subject: {
                /** @enum {string} */
                type: "user" | "token";
                id: string;
                label: string;
              };
              /** Format: int64 */
              limit: number;
              /** Format: int64 */
              windowSeconds: number;
              expiresAt: string | null;
              expired: boolean;
              note: string | null;
              setBy: string;
              createdAt: string;
              updatedAt: string;
            }[];
            /** @description Pass as `cursor` for the next page; null on the last page */
            nextCursor: string | null;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-rateLimits-setOverride": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          target:
            | {
                /** @constant */
                type: "user";
                email: string;
              }
            | {
                /** @constant */
                type: "token";
                id: string;
              };
          /** Format: int32 */
          limit: number;
          /** Format: int32 */
          windowSeconds: number;
          expiresInSeconds?: number | null;
          note?: string;
        };
      };
    };
    responses: {
      /** @description Created */
      201: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          Location: components["headers"]["Location"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            id: string;
            subject: {
              /** @enum {string} */
              type: "user" | "token";
              id: string;
              label: string;
            };
            /** Format: int64 */
            limit: number;
            /** Format: int64 */
            windowSeconds: number;
            expiresAt: string | null;
            expired: boolean;
            note: string | null;
            setBy: string;
            createdAt: string;
            updatedAt: string;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-rateLimits-override": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            id: string;
            subject: {
              /** @enum {string} */
              type: "user" | "token";
              id: string;
              label: string;
            };
            /** Format: int64 */
            limit: number;
            /** Format: int64 */
            windowSeconds: number;
            expiresAt: string | null;
            expired: boolean;
            note: string | null;
            setBy: string;
            createdAt: string;
            updatedAt: string;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-rateLimits-removeOverride": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Done; no content */
      204: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content?: never;
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-rateLimits-activity": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            /** Format: int64 */
            windowSeconds: number;
            top: {
              subject: string;
              /** @enum {string} */
              kind: "user" | "token" | "ip" | "account";
              label: string;
              id: string | null;
              /** Format: int64 */
              count: number;
            }[];
            lockouts: {
              subject: string;
              /** @enum {string} */
              kind: "user" | "token" | "ip" | "account";
              label: string;
              id: string | null;
              lockedUntil: string;
              /** Format: int64 */
              level: number;
            }[];
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-rateLimits-unlock": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          email?: string;
          subject?: string;
        };
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            cleared: boolean;
            subject: string;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-rateLimits-tokenLimits": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        userId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            default: {
              /** Format: int64 */
              limit: number;
              /** Format: int64 */
              windowSeconds: number;
            };
            items: components["schemas"]["TokenRateLimit"][];
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-overview-summary": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            activeUsers: number;
            disabledUsers: number;
            contacts: number;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-overview-instances": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            self: string | null;
            instances: {
              id: string;
              /** Format: date-time */
              startedAt: string;
              /** Format: date-time */
              lastSeenAt: string;
              workers: number;
              /** @enum {string} */
              store: "sqlite" | "postgres";
              version: string;
              live: boolean;
            }[];
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-posture-get": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            generatedAt: string;
            counts: {
              /** Format: int64 */
              pass: number;
              /** Format: int64 */
              warn: number;
              /** Format: int64 */
              fail: number;
            };
            /** @enum {string} */
            overall: "pass" | "warn" | "fail";
            results: {
              id: string;
              /** @enum {string} */
              group: "transport" | "secrets" | "keys" | "access" | "operations";
              title: string;
              /** @enum {string} */
              status: "pass" | "warn" | "fail";
              summary: string;
              details: string[];
              meaning: string;
              fix: string;
            }[];
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-oauthClients-list": {
    parameters: {
      query?: {
        cursor?: string;
        limit?: number;
        sort?: "createdAt" | "name";
        direction?: "asc" | "desc";
      };
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: components["schemas"]["OAuthClient"][];
            /** @description Pass as `cursor` for the next page; null on the last page */
            nextCursor: string | null;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-oauthClients-create": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          name: string;
          /** @enum {string} */
          type: "confidential" | "public";
          redirectUris: string[];
          grantTypes: ("authorization_code" | "refresh_token" | "client_credentials")[];
          scopes: ("contacts:read" | "contacts:write" | "tokens:read" | "tokens:write" | "admin" | "metrics:read")[];
          /** Format: int32 */
          accessTokenTtlSeconds?: number;
          /** Format: int32 */
          refreshTokenTtlSeconds?: number;
          /**
           * @description The JWS algorithm of its access tokens (default ES256; RS256 for clients that only verify RSA)
           * @enum {string}
           */
          accessTokenSigningAlg?: "ES256" | "RS256";
        };
      };
    };
    responses: {
      /** @description Created */
      201: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          Location: components["headers"]["Location"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            client: components["schemas"]["OAuthClient"];
            /** @description The client secret, shown this once (only its hash is kept); null for public clients */
            clientSecret: string | null;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-oauthClients-get": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["OAuthClient"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-oauthClients-delete": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Done; no content */
      204: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content?: never;
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-oauthClients-update": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          name?: string;
          redirectUris?: string[];
          grantTypes?: ("authorization_code" | "refresh_token" | "client_credentials")[];
          scopes?: ("contacts:read" | "contacts:write" | "tokens:read" | "tokens:write" | "admin" | "metrics:read")[];
          /** Format: int32 */
          accessTokenTtlSeconds?: number;
          /** Format: int32 */
          refreshTokenTtlSeconds?: number;
          /**
           * @description The JWS algorithm of its access tokens (default ES256; RS256 for clients that only verify RSA)
           * @enum {string}
           */
          accessTokenSigningAlg?: "ES256" | "RS256";
        };
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["OAuthClient"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-oauthClients-rotateSecret": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          /**
           * Format: int32
           * @description How long the old secret keeps working (0 ends it now)
           */
          graceSeconds: number;
        };
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            client: components["schemas"]["OAuthClient"];
            /** @description The client secret, shown this once (only its hash is kept); null for public clients */
            clientSecret: string | null;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-oauthClients-setDisabled": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          disabled: boolean;
        };
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["OAuthClient"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-oauthClients-grants": {
    parameters: {
      query?: {
        cursor?: string;
        limit?: number;
      };
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              id: string;
              clientId: string;
              /** @enum {string} */
              kind: "authorization_code" | "client_credentials";
              userId: string;
              userEmail: string;
              scopes: (
                | "contacts:read"
                | "contacts:write"
                | "tokens:read"
                | "tokens:write"
                | "admin"
                | "metrics:read"
              )[];
              /** Format: date-time */
              createdAt: string;
              /** Format: date-time */
              expiresAt: string;
            }[];
            /** @description Pass as `cursor` for the next page; null on the last page */
            nextCursor: string | null;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-oauthClients-revokeGrant": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path: {
        grantId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            id: string;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      404: components["responses"]["NotFound"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-oauthClients-signingKeys": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            items: {
              kid: string;
              /**
               * @description ES256 (an EC P-256 key) or RS256 (an RSA key)
               * @enum {string}
               */
              alg: "ES256" | "RS256";
              /** Format: date-time */
              createdAt: string;
              /** @description When it stopped signing; null for the active key */
              retiredAt: string | null;
              /** @description When it leaves the JWKS (no token it signed is valid after) */
              removeAfter: string | null;
            }[];
            /** @description Pass as `cursor` for the next page; null on the last page */
            nextCursor: string | null;
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
  "admin-oauthClients-rotateSigningKey": {
    parameters: {
      query?: never;
      header?: {
        /** @description Your id for this request, echoed in the answer and in the server's logs; replaced by one of the server's when malformed */
        "X-Request-Id"?: components["parameters"]["RequestId"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": {
          /**
           * @description Replace only this algorithm's key; every algorithm's when absent
           * @enum {string}
           */
          alg?: "ES256" | "RS256";
        };
      };
    };
    responses: {
      /** @description OK */
      200: {
        headers: {
          "X-Request-Id": components["headers"]["X-Request-Id"];
          "Access-Control-Allow-Origin": components["headers"]["Access-Control-Allow-Origin"];
          "Access-Control-Expose-Headers": components["headers"]["Access-Control-Expose-Headers"];
          RateLimit: components["headers"]["RateLimit"];
          "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
          [name: string]: unknown;
        };
        content: {
          "application/json": {
            rotated: {
              /** @enum {string} */
              alg: "ES256" | "RS256";
              /** @description The key that signs from now on */
              kid: string;
              /** @description The key it replaced (still published until its tokens expire) */
              retired: string | null;
            }[];
          };
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthorized"];
      403: components["responses"]["Forbidden"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["TooManyRequests"];
      500: components["responses"]["InternalServerError"];
      503: components["responses"]["ServiceUnavailable"];
    };
  };
}
