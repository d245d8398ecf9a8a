import { describe, expect, it } from "vitest";
import { ADMIN_NAV } from "../app/_lib/nav";
import { activeHref } from "./nav-links";

const hrefs = ADMIN_NAV.map((item) => item.href);

describe("activeHref", () => {
  it("marks the page itself, and a page under a list marks the list", () => {
    expect(activeHref("/admin", hrefs)).toBe("/admin");
    expect(activeHref("/admin/users", hrefs)).toBe("/admin/users");
    expect(activeHref("/admin/users/usr_00000000000000000000", hrefs)).toBe("/admin/users");
    expect(activeHref("/admin/oauth-clients/ocl_x/grants", hrefs)).toBe("/admin/oauth-clients");
  });

  it("never marks by a shared prefix of names, nor anything for a page outside the navigation", () => {
    expect(activeHref("/admin/usersx", hrefs)).toBe("/admin");
    expect(activeHref("/administrator", hrefs)).toBeNull();
    expect(activeHref("/settings/tokens", hrefs)).toBeNull();
    expect(activeHref("", hrefs)).toBeNull();
  });
});
