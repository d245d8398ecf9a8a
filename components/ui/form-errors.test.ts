import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { createContactInput } from "@/server/routers/contacts/schemas";
import { fieldSentence, refusalOf } from "./form-errors";

/** A refusal as the browser receives it: the error formatter's shape (server/trpc.ts). */
function refusal(message: string, data: { issues?: { path: string; message: string }[]; reason?: string | null }) {
  return TRPCClientError.from({
    error: {
      message,
      code: -32600,
      data: { code: "BAD_REQUEST", httpStatus: 400, issues: data.issues ?? null, reason: data.reason ?? null },
    },
  });
}

const fallback = () => "fallback";

describe("fieldSentence", () => {
  it("makes the label the subject of a schema's 'must …'", () => {
    expect(fieldSentence("New password", "must be at least 12 characters")).toBe(
      "New password must be at least 12 characters.",
    );
  });
  it("keeps a sentence that has its own subject, capitalised, one full stop", () => {
    expect(fieldSentence("Scopes", "give at least one scope")).toBe("Give at least one scope.");
    expect(fieldSentence("Email", "A user with this email already exists.")).toBe(
      "A user with this email already exists.",
    );
  });
  it("reads the zod messages of a real schema under their field", () => {
    const result = createContactInput.safeParse({ name: "", email: "not-an-address", phone: "12" });
    expect(result.success).toBe(false);
    const byField = Object.fromEntries(
      (result.error?.issues ?? []).map((i) => [String(i.path[0]), fieldSentence(String(i.path[0]), i.message)]),
    );
    expect(byField).toEqual({
      name: "name must not be empty.",
      email: "email must be a valid email address.",
      phone: "phone must be an international number like +41 44 668 18 00.",
    });
  });
});

describe("refusalOf", () => {
  const mapping = { fields: ["email", "password", "name"], reasons: { email_taken: "email" } };

  it("puts each zod issue under the field its path names, the rest on the form", () => {
    const error = refusal("Invalid input", {
      issues: [
        { path: "password", message: "is too easy to guess" },
        { path: "email", message: "must be a valid email address" },
        { path: "role", message: "must be one of admin, member" },
        { path: "(body)", message: "give at least one field to change" },
      ],
    });
    expect(refusalOf(error, mapping, fallback)).toEqual({
      fields: { password: "is too easy to guess", email: "must be a valid email address" },
      form: "role: must be one of admin, member; give at least one field to change",
    });
  });

  it("maps a service's 'field: message' to that field", () => {
    const error = refusal("password: is too easy to guess (a common password)", { reason: "weak_password" });
    expect(refusalOf(error, mapping, fallback)).toEqual({
      fields: { password: "is too easy to guess (a common password)" },
      form: null,
    });
  });

  it("maps a reason to its field", () => {
    const error = refusal("A user with this email already exists", { reason: "email_taken" });
    expect(refusalOf(error, mapping, fallback)).toEqual({
      fields: { email: "A user with this email already exists" },
      form: null,
    });
  });

  it("follows aliases from the procedure's names to the form's", () => {
    const error = refusal("Invalid input", { issues: [{ path: "target.email", message: "must be a valid email" }] });
    expect(refusalOf(error, { fields: ["email"], aliases: { "target.email": "email" } }, fallback).fields).toEqual({
      email: "must be a valid email",
    });
  });

  it("a refusal that names no field of the form, or no refusal at all, is the form's message", () => {
    expect(refusalOf(refusal("cursor: must be a cursor", {}), mapping, fallback)).toEqual({
      fields: {},
      form: "fallback",
    });
    expect(refusalOf(new Error("network"), mapping, fallback)).toEqual({ fields: {}, form: "fallback" });
  });
});
