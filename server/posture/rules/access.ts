import { DAY_MS, type PostureFacts, type TokenFact } from "../facts";
import type { PostureRule } from "../types";
import { isLocalUrl } from "./hosts";

/** A token nobody used for this long is most likely forgotten, and still works for whoever finds it. */
export const UNUSED_TOKEN_DAYS = 90;

export const adminSecondFactor: PostureRule<PostureFacts> = {
  id: "access.admin-second-factor",
  group: "access",
  title: "Every admin has a second factor",
  meaning:
    "An admin can change everything Gatehouse protects. With a password alone, one phished or reused password is the whole platform; with ADMIN_2FA=required an admin without a factor can only enrol, but whoever signs in first with that password enrols theirs.",
  fix: "Ask each admin listed to enrol a second factor on /account (authenticator app or passkey), keep ADMIN_2FA=required, and demote admin accounts nobody uses.",
  evaluate(f) {
    const { withoutSecondFactor: missing, twoFactorPolicy: policy } = f.admins;
    if (missing.length > 0) {
      return {
        status: policy === "required" ? "warn" : "fail",
        summary:
          policy === "required"
            ? `${missing.length} ${missing.length === 1 ? "admin has" : "admins have"} no second factor yet (ADMIN_2FA=required: they can only enrol).`
            : `${missing.length} ${missing.length === 1 ? "admin signs" : "admins sign"} in with a password only (ADMIN_2FA=${policy}).`,
        details: missing,
      };
    }
    if (policy === "optional") {
      return {
        status: "warn",
        summary: "Every admin has a second factor, but ADMIN_2FA=optional lets a new admin work without one.",
      };
    }
    return { status: "pass", summary: "Every enabled admin has a second factor (ADMIN_2FA=required)." };
  },
};

function tokenLine(t: TokenFact, now: Date): string {
  const used = t.lastUsedAt
    ? `last used ${Math.floor((now.getTime() - t.lastUsedAt.getTime()) / DAY_MS)} days ago`
    : "never used";
  return `${t.name} (${t.id}, ${t.ownerEmail}${t.admin ? ", admin scope" : ""}): ${t.expiresAt ? `expires ${t.expiresAt.toISOString().slice(0, 10)}` : "never expires"}, ${used}`;
}

export const tokenHygiene: PostureRule<PostureFacts> = {
  id: "access.tokens",
  group: "access",
  title: `No token lives forever or lies unused for ${UNUSED_TOKEN_DAYS} days`,
  meaning:
    "An API token is a password that never asks for a second factor. One that never expires stays valid wherever it was copied; one unused for months was probably forgotten, and a leak of it would go unnoticed. An admin-scoped token that never expires is a permanent key to everything.",
  fix: "Revoke tokens nobody uses (Tokens page, or npm run gatehouse -- token revoke --id ID); replace tokens without expiry by ones with an expiry (rotate); keep TOKEN_ALLOW_NO_EXPIRY=false.",
  evaluate(f) {
    const cutoff = f.now.getTime() - UNUSED_TOKEN_DAYS * DAY_MS;
    const forever = f.tokens.filter((t) => t.expiresAt === null);
    const unused = f.tokens.filter((t) => (t.lastUsedAt ?? t.createdAt).getTime() < cutoff);
    const adminForever = forever.filter((t) => t.admin);
    const flagged = [...new Set([...forever, ...unused])];
    const details = flagged.map((t) => tokenLine(t, f.now));
    if (adminForever.length > 0) {
      return {
        status: "fail",
        summary: `${adminForever.length} admin-scoped ${adminForever.length === 1 ? "token never expires" : "tokens never expire"}.`,
        details,
      };
    }
    if (flagged.length > 0) {
      const parts = [
        forever.length > 0 ? `${forever.length} never expire` : null,
        unused.length > 0 ? `${unused.length} unused for ${UNUSED_TOKEN_DAYS} days or more` : null,
      ].filter(Boolean);
      return { status: "warn", summary: `Of ${f.tokens.length} live tokens, ${parts.join(" and ")}.`, details };
    }
    return {
      status: "pass",
      summary:
        f.tokens.length === 0
          ? "No live API tokens."
          : `All ${f.tokens.length} live tokens expire and were used in the last ${UNUSED_TOKEN_DAYS} days.`,
    };
  },
};

export const corsOrigins: PostureRule<PostureFacts> = {
  id: "access.cors",
  group: "access",
  title: "CORS origins are narrow",
  meaning:
    "An origin with credentials may call the API with a signed-in user's cookies and read the answers: it is as trusted as Gatehouse's own pages, and must be https, or anyone on its network path can inject a script that acts as your users. The wildcard * lets every website read API answers to token calls.",
  fix: "Remove origins you do not need (CORS origins page, or npm run gatehouse -- cors remove ORIGIN); turn credentials off where cookies are not needed; replace * by the list of sites that call the API.",
  evaluate(f) {
    const credentialed = f.cors.filter((o) => o.allowCredentials);
    const insecure = credentialed.filter(
      (o) => o.origin === "*" || (!o.origin.startsWith("https://") && !isLocalUrl(o.origin)),
    );
    const wildcard = f.cors.some((o) => o.origin === "*");
    const describe = (o: PostureFacts["cors"][number]) =>
      `${o.origin}${o.allowCredentials ? " (with credentials)" : ""}`;
    if (insecure.length > 0) {
      return {
        status: "fail",
        summary: `${insecure.length} ${insecure.length === 1 ? "origin gets" : "origins get"} credentials over plain HTTP or as a wildcard.`,
        details: insecure.map(describe),
      };
    }
    if (wildcard || credentialed.length > 0) {
      const parts = [
        wildcard ? "* lets every website read API answers to token calls" : null,
        credentialed.length > 0
          ? `${credentialed.length} ${credentialed.length === 1 ? "origin acts" : "origins act"} with users' cookies`
          : null,
      ].filter(Boolean);
      return {
        status: "warn",
        summary: `${parts.join("; ")}.`,
        details: f.cors.filter((o) => o.origin === "*" || o.allowCredentials).map(describe),
      };
    }
    return {
      status: "pass",
      summary:
        f.cors.length === 0 ? "No cross-origin access is allowed." : `${f.cors.length} origins, none with credentials.`,
    };
  },
};
