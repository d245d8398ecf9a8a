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
