import { describe, expect, it } from "vitest";
import { parseTheme, THEME_COOKIE, themeAttribute, themeCookie } from "./theme-preference";

describe("parseTheme", () => {
  it("reads the two pinned themes and treats everything else as the system's", () => {
    expect(parseTheme("light")).toBe("light");
    expect(parseTheme("dark")).toBe("dark");
    for (const value of [undefined, null, "", "system", "Dark", "dark ", "dark;x", '"><script>', "light-dark"]) {
      expect(parseTheme(value)).toBe("system");
    }
  });
});

describe("themeAttribute", () => {
  it("pins light and dark, and leaves the system's choice to the stylesheet", () => {
    expect(themeAttribute("light")).toBe("light");
    expect(themeAttribute("dark")).toBe("dark");
    expect(themeAttribute("system")).toBeUndefined();
  });
});

describe("themeCookie", () => {
  it("keeps a pinned theme for a year, site-wide, Secure on https only", () => {
    expect(themeCookie("dark", true)).toBe(`${THEME_COOKIE}=dark; Max-Age=31536000; Path=/; SameSite=Lax; Secure`);
    expect(themeCookie("light", false)).toBe(`${THEME_COOKIE}=light; Max-Age=31536000; Path=/; SameSite=Lax`);
  });

  it("deletes the cookie for the system's theme (the default needs none)", () => {
    expect(themeCookie("system", false)).toBe(`${THEME_COOKIE}=; Max-Age=0; Path=/; SameSite=Lax`);
  });
});
