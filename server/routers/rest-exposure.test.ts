import { describe, expect, it } from "vitest";
import { appRouter } from "../root";
import { NOT_ON_REST } from "./not-on-rest";

type Meta = { openapi?: { method: string; path: string }; scopes?: string[]; created?: { location: string } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta } }>);

describe("REST exposure", () => {
  it("puts every procedure on REST or on the NOT_ON_REST list with a reason, never both", () => {
    const neither: string[] = [];
    const both: string[] = [];
    for (const [name, procedure] of procedures) {
      const onRest = Boolean(procedure._def.meta?.openapi);
      const listed = Object.hasOwn(NOT_ON_REST, name);
      if (!onRest && !listed) neither.push(name);
      if (onRest && listed) both.push(name);
    }
    expect(neither, "neither on REST nor on NOT_ON_REST (server/routers/not-on-rest.ts)").toEqual([]);
    expect(both, "on REST and on NOT_ON_REST").toEqual([]);
    for (const [name, reason] of Object.entries(NOT_ON_REST)) {
      expect(
        procedures.some(([p]) => p === name),
        `${name} on NOT_ON_REST is no procedure`,
      ).toBe(true);
      expect(reason.length, `${name} needs a reason`).toBeGreaterThan(30);
    }
  });

  it("serves every admin procedure under /admin with the admin scope", () => {
    const admin = procedures.filter(([name, p]) => name.startsWith("admin.") && p._def.meta?.openapi);
    expect(admin.length).toBeGreaterThan(40);
    for (const [name, p] of admin) {
      expect(p._def.meta?.openapi?.path, name).toMatch(/^\/admin\//);
      expect(p._def.meta?.scopes, name).toEqual(["admin"]);
    }
  });

  it("declares each verb and path once, and a created Location only on a POST that another GET serves", () => {
    const seen = new Set<string>();
    const gets = procedures
      .map(([, p]) => p._def.meta?.openapi)
      .filter((o) => o?.method === "GET")
      .map((o) => o?.path.replace(/\{[^}]+\}/g, "{}"));
    for (const [name, p] of procedures) {
      const openapi = p._def.meta?.openapi;
      if (!openapi) continue;
      const key = `${openapi.method} ${openapi.path}`;
      expect(seen.has(key), `${key} twice`).toBe(false);
      seen.add(key);
      const created = p._def.meta?.created;
      if (created) {
        expect(openapi.method, name).toBe("POST");
        expect(gets, `${name}: nothing GETs ${created.location}`).toContain(
          created.location.replace(/\{[^}]+\}/g, "{}"),
        );
      }
    }
  });
});
