"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import type { ReactNode } from "react";
import {
  type FieldValues,
  get,
  type Path,
  type Resolver,
  type UseFormProps,
  type UseFormRegisterReturn,
  type UseFormReturn,
  useForm,
} from "react-hook-form";
import type { z } from "zod";
import { errorMessage } from "../trpc";
import { fieldSentence, type RefusalMapping, refusalOf } from "./form-errors";

/**
 * The one form kit: react-hook-form validating with the server's own zod
 * schema (the object the procedure parses its input with, imported from
 * server/routers/…/schemas.ts), so the browser refuses exactly what the server
 * would, with the same words. A form's values are what its inputs hold
 * (strings, booleans); `toInput` turns them into the procedure's input (an
 * empty optional field is left out, a number field becomes a number) before
 * the schema sees them, and the submit handler gets the parsed input.
 * What is typed stays in the form when the server refuses it.
 */

// zod runs jitless in the browser, set once in instrumentation-client.ts (not here: the schema modules a
// form imports build their object schemas when they load, which can be before this module, too late).

// biome-ignore lint/suspicious/noExplicitAny: a form's resolver context is unused here
type AnyForm<V extends FieldValues> = UseFormReturn<V, any, any>;

export function useSchemaForm<V extends FieldValues, S extends z.ZodType>(
  schema: S,
  {
    toInput,
    aliases,
    ...options
  }: Omit<UseFormProps<V, unknown, z.output<S>>, "resolver"> & {
    defaultValues: V;
    toInput?: (values: V) => unknown;
    /** Where an input path the form has no field of its own for is shown, e.g. { "target.email": "who" }. */
    aliases?: Record<string, Path<V>>;
  },
): UseFormReturn<V, unknown, z.output<S>> {
  // zodResolver's types tie the form's values to the schema's input; ours go through toInput first.
  const validate = zodResolver(schema as never) as unknown as Resolver<FieldValues, unknown, z.output<S>>;
  const resolver = (async (values: V, context: unknown, opts: never) => {
    const result = await validate(toInput ? (toInput(values) as FieldValues) : values, context, opts);
    for (const [from, to] of Object.entries(aliases ?? {})) {
      const error = get(result.errors, from);
      if (error) (result.errors as Record<string, unknown>)[to] ??= error;
    }
    return result;
  }) as Resolver<V, unknown, z.output<S>>;
  // Checked on submit, then again as the person corrects a field. Not on blur: an error line appearing
  // when the focus leaves a field moves the submit button under the pointer between press and release,
  // and the click is lost.
  return useForm<V, unknown, z.output<S>>({ mode: "onSubmit", reValidateMode: "onChange", ...options, resolver });
}

/** An optional text field: empty means "not given". */
export const optionalText = (value: string): string | undefined => (value.trim() === "" ? undefined : value);

/**
 * Shows a server refusal where it belongs: under the field it names (from
 * the zod issues or the "field: …" of a service's error), else above the form.
 * The values stay as typed; the first refused field gets the focus.
 */
export function showRefusal<V extends FieldValues>(form: AnyForm<V>, error: unknown, mapping: RefusalMapping): void {
  const refusal = refusalOf(error, mapping, errorMessage);
  let first = true;
  for (const [field, message] of Object.entries(refusal.fields)) {
    form.setError(field as Path<V>, { type: "server", message }, { shouldFocus: first });
    first = false;
  }
  if (refusal.form) form.setError("root.server", { type: "server", message: refusal.form });
}

/** The form-level message: a refusal that names no field of this form. */
export function FormMessage<V extends FieldValues>({ form }: { form: AnyForm<V> }) {
  const message = (form.formState.errors.root as { server?: { message?: string } } | undefined)?.server?.message;
  if (!message) return null;
  return (
    <div role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-red-200">
      {message}
    </div>
  );
}

export interface FieldControl extends UseFormRegisterReturn {
  id: string;
  "aria-invalid": boolean | undefined;
  "aria-describedby": string | undefined;
}

function useFieldParts<V extends FieldValues>(form: AnyForm<V>, name: Path<V>, id: string, hint: ReactNode) {
  const message = (get(form.formState.errors, name) as { message?: string } | undefined)?.message;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = message ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(" ") || undefined;
  return { message, hintId, errorId, describedBy };
}

/** role="alert": the line is read out when it appears (on blur or submit), not only when the field is focused again. */
function FieldError({ id, label, message }: { id?: string; label: string; message?: string }) {
  if (!id || !message) return null;
  return (
    <p id={id} role="alert" className="text-xs font-medium text-red-700" data-testid="field-error">
      {fieldSentence(label, message)}
    </p>
  );
}

/**
 * One labelled field: the label, the control (rendered by `children` with
 * the props it needs: the registration, id, aria-invalid and aria-describedby
 * pointing at its error and hint), the error in words under it, the hint.
 */
export function FormField<V extends FieldValues>({
  form,
  name,
  label,
  id,
  hint,
  children,
}: {
  form: AnyForm<V>;
  name: Path<V>;
  label: string;
  /** The control's id (stable: tests and the label use it). */
  id: string;
  hint?: ReactNode;
  children: (control: FieldControl) => ReactNode;
}) {
  const { message, hintId, errorId, describedBy } = useFieldParts(form, name, id, hint);
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      {children({
        ...form.register(name),
        id,
        "aria-invalid": message ? true : undefined,
        "aria-describedby": describedBy,
      })}
      <FieldError id={errorId} label={label} message={message} />
      {hint ? (
        <p id={hintId} className="text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/**
 * A group of controls for one value (checkboxes for a list, radios): a
 * fieldset whose legend names it; the error and hint describe the group.
 */
export function FormFieldset<V extends FieldValues>({
  form,
  name,
  legend,
  id,
  hint,
  children,
}: {
  form: AnyForm<V>;
  name: Path<V>;
  legend: string;
  id: string;
  hint?: ReactNode;
  children: ReactNode;
}) {
  const { message, hintId, errorId, describedBy } = useFieldParts(form, name, id, hint);
  return (
    <fieldset id={id} className="space-y-1" aria-describedby={describedBy} aria-invalid={message ? true : undefined}>
      <legend className="text-sm font-medium text-slate-700">{legend}</legend>
      {children}
      <FieldError id={errorId} label={legend} message={message} />
      {hint ? (
        <p id={hintId} className="text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
    </fieldset>
  );
}
