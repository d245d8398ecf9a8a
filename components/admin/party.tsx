"use client";

import Link from "next/link";
import type { MouseEvent } from "react";
import { CopyText } from "../ui/copy-text";
import { actorFilterValue, auditHref, type PartyView } from "./audit-filters";

const KIND: Record<PartyView["kind"], string> = {
  user: "user",
  token: "API token",
  oauth_client: "OAuth client",
  cli: "command line",
  system: "system",
  anonymous: "not signed in",
  other: "",
};

/**
 * A person, not an id: the email (and name), a token's name and owner, an
 * OAuth client's name, or "system". The id is on hover and copyable; the
 * label links to the audit log filtered by it, and a user also to the Users
 * page filtered by the email. `onFilter` lets the Audit page apply the filter
 * in place (the link still works in a new tab).
 */
export type { PartyView };

export function Party({
  party,
  side = "actor",
  onFilter,
  showKind = true,
}: {
  party: PartyView;
  side?: "actor" | "target";
  onFilter?: (filters: Record<string, string>) => void;
  showKind?: boolean;
}) {
  const value = side === "actor" ? actorFilterValue(party) : party.id;
  const filters = value ? { [side === "actor" ? "actorId" : "targetId"]: value } : null;
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    if (!onFilter || !filters || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    onFilter(filters);
  };
  const title = party.id ? `${party.id}${party.deleted ? " (no longer exists)" : ""}` : undefined;
  const kind = showKind && KIND[party.kind] !== party.label ? KIND[party.kind] : "";
  const subtitle = party.kind === "user" && party.name ? party.name : kind;
  return (
    <span className="inline-flex max-w-full flex-col" data-testid={`party-${side}`} data-party-id={party.id ?? ""}>
      {filters ? (
        <Link
          href={auditHref(filters)}
          onClick={click}
          title={title}
          className={`break-all hover:underline ${party.deleted ? "text-slate-500 italic" : "text-brand-700"}`}
        >
          {party.label}
        </Link>
      ) : (
        <span className="text-slate-700">{party.label}</span>
      )}
      {subtitle ? <span className="text-xs text-slate-500">{subtitle}</span> : null}
      {party.kind === "anonymous" && party.email ? (
        <span className="text-xs text-slate-500">tried {party.email}</span>
      ) : null}
      {party.id && (party.deleted || party.kind !== "other") ? (
        <span className="flex flex-wrap items-center gap-x-2 text-slate-500">
          <CopyText value={party.id} label={`id ${party.id}`} />
          {party.kind === "user" && party.email && !party.deleted ? (
            <Link
              href={`/admin/users?search=${encodeURIComponent(party.email)}`}
              title={`${party.email} on the Users page`}
              className="text-xs hover:underline"
            >
              Users page
            </Link>
          ) : null}
        </span>
      ) : null}
    </span>
  );
}
