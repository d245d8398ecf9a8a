import { describe, expect, it } from "vitest";
import { auditFilterInput } from "@/server/audit/filter-input";
import { actorFilterValue, apiFilters, auditHref, EMPTY_FILTERS, fromAddressBar, toLocalInput } from "./audit-filters";

describe("the Audit page's address", () => {
  it("turns instants from the Overview's links into local datetime-local values that mean the same minute", () => {
    for (const iso of ["2026-12-01T10:00:00.000Z", "2026-01-31T23:00:00Z", "2026-06-15T04:30:00+02:00"]) {
      const local = toLocalInput(iso);
      expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
      // A datetime-local value is read back as local time: the same instant.
      expect(new Date(local).getTime()).toBe(new Date(iso).getTime());
    }
  });

  it("leaves what is not an instant as it is", () => {
    for (const value of ["", "2026-12-01T10:00", "yesterday", "2026-12-01T10:00:00Z<script>", "2026-12-01", "10:00Z"]) {
      expect(toLocalInput(value)).toBe(value);
    }
  });

  it("converts only since and until", () => {
    const form = {
      ...EMPTY_FILTERS,
      action: "session.login_failed",
      since: "2026-12-01T10:00:00.000Z",
      text: "2026-12-01T10:00:00.000Z",
    };
    const out = fromAddressBar(form);
    expect(out.action).toBe("session.login_failed");
    expect(out.text).toBe(form.text);
    expect(out.since).not.toBe(form.since);
    expect(out.until).toBe("");
  });

  it("links a user by email, a failed sign-in by the address tried, anything else by id", () => {
    const base = { name: null, userId: null, deleted: false };
    expect(actorFilterValue({ ...base, kind: "user", id: "usr_1", label: "a@x.io", email: "a@x.io" })).toBe("a@x.io");
    expect(actorFilterValue({ ...base, kind: "anonymous", id: null, label: "anonymous", email: "b@x.io" })).toBe(
      "b@x.io",
    );
    expect(actorFilterValue({ ...base, kind: "token", id: "tok_1", label: "t", email: "a@x.io" })).toBe("tok_1");
    expect(
      actorFilterValue({ ...base, kind: "user", id: "usr_2", label: "deleted user", email: null, deleted: true }),
    ).toBe("usr_2");
    expect(actorFilterValue({ ...base, kind: "system", id: null, label: "system", email: null })).toBeNull();
    expect(auditHref({ actorId: "a+b@x.io", since: "2026-12-01T10:00:00.000Z" })).toBe(
      "/admin/audit?actorId=a%2Bb%40x.io&since=2026-12-01T10%3A00%3A00.000Z",
    );
  });
});

describe("the Audit page's filter form, checked with admin.audit.list's own schema", () => {
  const check = (values: Partial<typeof EMPTY_FILTERS>) =>
    auditFilterInput.safeParse(apiFilters({ ...EMPTY_FILTERS, ...values }));
  const refused = (values: Partial<typeof EMPTY_FILTERS>) => {
    const result = check(values);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("leaves out empty fields and sends the local times as instants", () => {
    expect(apiFilters(EMPTY_FILTERS)).toEqual(
      Object.fromEntries(Object.keys(EMPTY_FILTERS).map((k) => [k, undefined])),
    );
    const result = check({
      action: "contact.",
      outcome: "denied",
      actorId: " ada@example.com ",
      since: "2026-12-01T10:00",
    });
    expect(result.success).toBe(true);
    expect(result.data).toMatchObject({ action: "contact.", outcome: "denied", actorId: "ada@example.com" });
    expect(new Date(result.data?.since ?? "").getTime()).toBe(new Date("2026-12-01T10:00").getTime());
  });

  it("refuses what the server refuses, naming the field in words, instead of dropping it", () => {
    expect(refused({ actorId: `${"x".repeat(250)}@example.com` })).toEqual(["actorId: must be at most 254 characters"]);
    expect(refused({ action: "Not An Action" })).toEqual([
      "action: must be an action like contact.delete or an area like contact.",
    ]);
    expect(refused({ outcome: "maybe" })).toEqual(["outcome: must be one of success, failure, denied"]);
    expect(refused({ since: "yesterday" })).toEqual(["since: must be a date and time"]);
    expect(refused({ text: "y".repeat(201), requestId: "r".repeat(65) })).toEqual([
      "requestId: must be at most 64 characters",
      "text: must be at most 200 characters",
    ]);
  });
});
