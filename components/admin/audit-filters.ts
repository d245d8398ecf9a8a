import type { AuditFilterInput } from "@/server/audit/filter-input";

/**
 * The Audit page's filter form values, shared by the page (server component,
 * reading the address bar) and the viewer (client component). Kept out of the
 * "use client" module so the server gets real values, not client references.
 * datetime-local values are the viewer's local time.
 */
export interface AuditFilterForm {
  actorId: string;
  action: string;
  targetId: string;
  outcome: string;
  ip: string;
  requestId: string;
  since: string;
  until: string;
  text: string;
}

export const EMPTY_FILTERS: AuditFilterForm = {
  actorId: "",
  action: "",
  targetId: "",
  outcome: "",
  ip: "",
  requestId: "",
  since: "",
  until: "",
  text: "",
};

/** `datetime-local` values are the viewer's local time; the API takes ISO instants. Not a time: left for the schema to refuse. */
function toIso(local: string): string | undefined {
  if (!local.trim()) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

/**
 * The filters as admin.audit.list takes them (and the export's query string): an empty field is no
 * filter, the local times become instants. The form validates this with the procedure's own schema
 * (auditFilterInput), so what it refuses the server would refuse too.
 */
export function apiFilters(f: AuditFilterForm): AuditFilterInput {
  const text = (v: string) => v.trim() || undefined;
  return {
    actorId: text(f.actorId),
    action: text(f.action),
    targetId: text(f.targetId),
    // Not an outcome: passed on as it is, for the schema to refuse, naming the field.
    outcome: text(f.outcome) as AuditFilterInput["outcome"],
    ip: text(f.ip),
    requestId: text(f.requestId),
    since: toIso(f.since),
    until: toIso(f.until),
    text: text(f.text),
  };
}

/** An ISO instant with a zone (as the Overview's links carry), not a datetime-local value. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** A datetime-local value (this browser's local time, to the minute) for an instant; other values unchanged. */
export function toLocalInput(value: string): string {
  if (!INSTANT.test(value)) return value;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The filters as read from the address bar, with instants turned into the form's local times. Browser only. */
export function fromAddressBar(filters: AuditFilterForm): AuditFilterForm {
  return { ...filters, since: toLocalInput(filters.since), until: toLocalInput(filters.until) };
}

/** An actor or target as the API describes it (server/services/audit.ts, PartyRef). */
export interface PartyView {
  kind: "user" | "token" | "oauth_client" | "cli" | "system" | "anonymous" | "other";
  id: string | null;
  label: string;
  email: string | null;
  name: string | null;
  userId: string | null;
  deleted: boolean;
}

/** The Audit page's address for the entries of this actor: a user (or a failed sign-in) by email, so failed sign-ins count too. */
export function actorFilterValue(party: PartyView): string | null {
  if (party.kind === "user" && party.email) return party.email;
  if (party.kind === "anonymous" && party.email) return party.email;
  return party.id;
}

export function auditHref(filters: Record<string, string>): string {
  return `/admin/audit?${new URLSearchParams(filters).toString()}`;
}
