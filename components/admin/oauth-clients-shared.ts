import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/root";

/** What the OAuth clients page's modules share: the procedures' types and the labels of their values. */

export type Outputs = inferRouterOutputs<AppRouter>["admin"]["oauthClients"];
export type Client = Outputs["list"]["items"][number];
type CreateInput = inferRouterInputs<AppRouter>["admin"]["oauthClients"]["create"];
export type GrantType = CreateInput["grantTypes"][number];
export type ClientType = CreateInput["type"];
export type SigningAlg = Client["accessTokenSigningAlg"];

export const DAY = 86_400;

export const GRANT_TYPES: Array<{ value: GrantType; label: string; hint: string }> = [
  {
    value: "authorization_code",
    label: "Authorization code (with PKCE)",
    hint: "A person signs in here and allows the application to act for them.",
  },
  {
    value: "refresh_token",
    label: "Refresh token",
    hint: "The application may renew its access without asking the person again.",
  },
  {
    value: "client_credentials",
    label: "Client credentials",
    hint: "A program acts as itself, through its own service account. Confidential clients only.",
  },
];

export const GRACE_CHOICES: Array<[string, number]> = [
  ["none", 0],
  ["1 hour", 3600],
  ["1 day", DAY],
  ["7 days", 7 * DAY],
];

export const SIGNING_ALG_CHOICES: Array<{ value: SigningAlg; label: string }> = [
  { value: "ES256", label: "ES256 (ECDSA P-256, recommended)" },
  { value: "RS256", label: "RS256 (RSA, for clients that only verify RSA)" },
];

/** Shown once, right after a client is registered or its secret rotated. */
export interface FreshCredentials {
  title: string;
  clientId: string;
  clientSecret: string | null;
}
