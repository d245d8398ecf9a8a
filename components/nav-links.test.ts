import { describe, expect, it } from "vitest";
import { ADMIN_NAV, MEMBER_NAV, userNav } from "../app/_lib/nav";
import { activeHref, groupNav } from "./nav-links";

const adminHrefs = userNav({ role: "admin" }).map((item) => item.href);

describe("activeHref", () => {
  it("marks the page itself, and a page under a list marks the list", () => {
    expect(activeHref("/admin", adminHrefs)).toBe("/admin");
    expect(activeHref("/admin/users", adminHrefs)).toBe("/admin/users");
    expect(activeHref("/admin/users/usr_00000000000000000000", adminHrefs)).toBe("/admin/users");
    expect(activeHref("/admin/oauth-clients/ocl_x/grants", adminHrefs)).toBe("/admin/oauth-clients");
    expect(activeHref("/settings/tokens", adminHrefs)).toBe("/settings/tokens");
    expect(activeHref("/contacts", adminHrefs)).toBe("/contacts");
  });

  it("never marks by a shared prefix of names, nor anything for a page outside the navigation", () => {
    expect(activeHref("/admin/usersx", adminHrefs)).toBe("/admin");
    expect(activeHref("/administrator", adminHrefs)).toBeNull();
    expect(activeHref("/settings", adminHrefs)).toBeNull();
    expect(activeHref("/contactsx", adminHrefs)).toBeNull();
    expect(activeHref("", adminHrefs)).toBeNull();
  });
});

describe("userNav: one navigation, by role", () => {
  it("gives a member the member items only, and an admin the same items plus the admin section", () => {
    const member = userNav({ role: "member" });
    const admin = userNav({ role: "admin" });
    expect(member).toEqual(MEMBER_NAV);
    expect(member.some((item) => item.href.startsWith("/admin"))).toBe(false);
    expect(admin.slice(0, MEMBER_NAV.length)).toEqual(MEMBER_NAV);
    expect(admin.slice(MEMBER_NAV.length)).toEqual(ADMIN_NAV);
    // Every admin page is under the one heading, and no href is listed twice.
    expect(new Set(ADMIN_NAV.map((item) => item.group))).toEqual(new Set(["Admin"]));
    expect(new Set(admin.map((item) => item.href)).size).toBe(admin.length);
  });

  it("does not hand the list out to be changed (a page adding an item must not change the next page's)", () => {
    userNav({ role: "member" }).push({ href: "/x", label: "X" });
    expect(userNav({ role: "member" })).toEqual(MEMBER_NAV);
    expect(MEMBER_NAV.some((item) => item.href === "/x")).toBe(false);
  });
});

describe("groupNav", () => {
  it("puts ungrouped items first, unheaded, then each group in first-seen order", () => {
    const groups = groupNav([
      { href: "/a", label: "A", group: "Admin" },
      { href: "/b", label: "B" },
      { href: "/c", label: "C", group: "Other" },
      { href: "/d", label: "D", group: "Admin" },
    ]);
    expect(groups).toEqual([
      { group: null, items: [{ href: "/b", label: "B" }] },
      {
        group: "Admin",
        items: [
          { href: "/a", label: "A", group: "Admin" },
          { href: "/d", label: "D", group: "Admin" },
        ],
      },
      { group: "Other", items: [{ href: "/c", label: "C", group: "Other" }] },
    ]);
  });

  it("shows no empty group", () => {
    expect(groupNav([])).toEqual([]);
    expect(groupNav([{ href: "/a", label: "A", group: "Admin" }]).map((g) => g.group)).toEqual(["Admin"]);
  });
});
