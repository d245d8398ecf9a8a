import { describe, expect, it } from "vitest";
import { isAdminPagePath } from "./admin-page-gate";

describe("isAdminPagePath (which requests proxy.ts checks for an admin session)", () => {
  it.each([
    "/admin",
    "/admin/",
    "/admin/users",
    "/admin/audit/anything/deeper",
    "/admin.rsc",
    "/admin/users.rsc",
    "/admin.segments/_tree.segment.rsc",
    "//admin/users",
    "/Admin/users",
    "/ADMIN",
    "/%61dmin/users",
    "/admin%2Fusers",
    "/admin\\users",
  ])("%s is an admin path", (path) => {
    expect(isAdminPagePath(path)).toBe(true);
  });

  it.each(["/", "/contacts", "/administrator", "/api/admin/audit/export", "/signin", "/x/admin", "/%E0%A4%A"])(
    "%s is not",
    (path) => {
      expect(isAdminPagePath(path)).toBe(false);
    },
  );
});
