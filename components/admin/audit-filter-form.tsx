"use client";

import { useEffect } from "react";
import { OUTCOMES } from "@/db/schema/audit-log";
import { auditFilterInput } from "@/server/audit/filter-input";
import { Button, Card, Input, Select } from "../ui";
import { FormField, useSchemaForm } from "../ui/form";
import { refusalOf } from "../ui/form-errors";
import { type AuditFilterForm, apiFilters, EMPTY_FILTERS } from "./audit-filters";

const FILTER_FIELDS = Object.keys(EMPTY_FILTERS);
type ActionGroup = { area: string; actions: string[] };

/**
 * The Audit page's filter form, on the form kit with admin.audit.list's own filter schema
 * (server/audit/filter-input.ts): a value the server would refuse is shown under its field in words,
 * nothing is applied, and what was typed stays. `applied` are the filters in force (the form starts
 * from them: give it a new key when they change from elsewhere, e.g. "Same actor"); `refused` is the
 * list's error, whose field-level part (a bad value from the address bar) is shown under the field too.
 */
export function AuditFilterFormCard({
  applied,
  actions,
  refused,
  onApply,
}: {
  applied: AuditFilterForm;
  actions: ActionGroup[] | undefined;
  refused: unknown;
  onApply: (next: AuditFilterForm) => void;
}) {
  const form = useSchemaForm(auditFilterInput, { defaultValues: applied, toInput: apiFilters });
  // Controlled, unlike the other fields: its options arrive after the first render.
  const action = form.watch("action");

  useEffect(() => {
    if (!refused) return;
    const { fields } = refusalOf(refused, { fields: FILTER_FIELDS }, () => "");
    for (const [field, message] of Object.entries(fields)) {
      form.setError(field as keyof AuditFilterForm, { type: "server", message });
    }
  }, [refused, form]);

  const onSubmit = form.handleSubmit(() => {
    const values = form.getValues();
    const trimmed = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.trim()])) as AuditFilterForm;
    onApply(trimmed);
  });

  return (
    <Card title="Filter">
      <form
        onSubmit={onSubmit}
        noValidate
        className="grid gap-3 md:grid-cols-4 md:items-start"
        aria-label="Filter the audit log"
      >
        <FormField form={form} name="action" label="Action" id="f-action" hint="A single action, or all of an area">
          {(control) => (
            <Select {...control} value={action} className="w-full">
              <option value="">Any action</option>
              {action && !actions?.some((g) => `${g.area}.` === action || g.actions.includes(action)) ? (
                <option value={action}>{action}</option>
              ) : null}
              {(actions ?? []).map((group) => (
                <optgroup key={group.area} label={group.area}>
                  <option value={`${group.area}.`}>All {group.area} actions</option>
                  {group.actions.map((name) => (
                    <option key={name} value={name}>
                      {name}
                    </option>
                  ))}
                </optgroup>
              ))}
            </Select>
          )}
        </FormField>
        <FormField
          form={form}
          name="actorId"
          label="Actor"
          id="f-actor"
          hint="A user's email (with failed sign-ins), or usr_…, tok_…, ocl_…"
        >
          {(control) => <Input {...control} autoComplete="off" />}
        </FormField>
        <FormField form={form} name="targetId" label="Target id" id="f-target">
          {(control) => <Input {...control} autoComplete="off" />}
        </FormField>
        <FormField form={form} name="outcome" label="Outcome" id="f-outcome">
          {(control) => (
            <Select {...control} className="w-full">
              <option value="">Any outcome</option>
              {OUTCOMES.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </Select>
          )}
        </FormField>
        <FormField form={form} name="ip" label="IP address" id="f-ip">
          {(control) => <Input {...control} autoComplete="off" />}
        </FormField>
        <FormField form={form} name="since" label="From" id="f-since">
          {(control) => <Input {...control} type="datetime-local" />}
        </FormField>
        <FormField form={form} name="until" label="Until" id="f-until">
          {(control) => <Input {...control} type="datetime-local" />}
        </FormField>
        <FormField form={form} name="requestId" label="Request id" id="f-request">
          {(control) => <Input {...control} autoComplete="off" />}
        </FormField>
        <div className="md:col-span-3">
          <FormField
            form={form}
            name="text"
            label="Search details"
            id="f-text"
            hint="Words in the entry's detail, e.g. an email or an id"
          >
            {(control) => <Input {...control} type="search" />}
          </FormField>
        </div>
        <div className="flex gap-2 md:pt-6">
          <Button type="submit">Apply</Button>
          <Button variant="secondary" onClick={() => onApply(EMPTY_FILTERS)}>
            Clear
          </Button>
        </div>
      </form>
    </Card>
  );
}
