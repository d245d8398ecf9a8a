import { TRPCClientError } from "@trpc/client";

/**
 * Turning what a schema or the server says about a field into a line a person
 * reads under that field, and a server refusal into the field it names.
 * No React here, so it is tested on its own (form-errors.test.ts).
 */

/** The schemas say what a value must be ("must be at least 12 characters"); under the field it reads as a sentence. */
export function fieldSentence(label: string, message: string): string {
  const text = message.trim().replace(/[.]$/, "");
  if (!text) return `${label} is not valid.`;
  // "must …", "is …": the field's label is the subject.
  if (/^(must|is|are|can|cannot|has|should)\b/.test(text)) return `${label} ${text}.`;
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

export interface Refusal {
  /** Field name (the form's, see `fieldOf`) to message. */
  fields: Record<string, string>;
  /** What belongs to no field of the form, for the form-level message. */
  form: string | null;
}

export interface RefusalMapping {
  /** The form's field names, as the procedure's input names them (e.g. "newPassword"). */
  fields: readonly string[];
  /** An AppError reason that concerns one field, e.g. { email_taken: "email" }. */
  reasons?: Record<string, string>;
  /** A procedure's input name that the form calls otherwise, e.g. { "target.email": "email" }. */
  aliases?: Record<string, string>;
}

interface Issue {
  path: string;
  message: string;
}

const FIELD_PREFIX = /^([A-Za-z][\w.]*): (.+)$/s;

/**
 * Which form field a server refusal names: the tRPC error formatter sends the
 * zod issues with their paths (server/trpc.ts fieldIssues); a service's
 * AppError says "field: what is wrong" and may carry a reason.
 */
export function refusalOf(error: unknown, mapping: RefusalMapping, fallback: (error: unknown) => string): Refusal {
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  const fieldOf = (path: string): string | null => {
    const aliased = mapping.aliases?.[path] ?? path;
    if (mapping.fields.includes(aliased)) return aliased;
    const head = aliased.split(".")[0] as string;
    return mapping.fields.includes(head) ? head : null;
  };
  const put = (field: string, message: string) => {
    fields[field] ??= message;
  };

  if (error instanceof TRPCClientError) {
    const data = error.data as { issues?: Issue[] | null; reason?: string | null } | undefined;
    if (data?.issues?.length) {
      for (const issue of data.issues) {
        const field = fieldOf(issue.path);
        if (field) put(field, issue.message);
        else rest.push(issue.path === "(body)" ? issue.message : `${issue.path}: ${issue.message}`);
      }
      return { fields, form: rest.length ? rest.join("; ") : null };
    }
    const prefixed = FIELD_PREFIX.exec(error.message);
    const byReason = data?.reason ? mapping.reasons?.[data.reason] : undefined;
    if (byReason) {
      put(byReason, prefixed && fieldOf(prefixed[1] as string) === byReason ? (prefixed[2] as string) : error.message);
      return { fields, form: null };
    }
    if (prefixed) {
      const field = fieldOf(prefixed[1] as string);
      if (field) {
        put(field, prefixed[2] as string);
        return { fields, form: null };
      }
    }
  }
  return { fields, form: fallback(error) };
}
