/**
 * The colour theme a person chose: "system" follows the operating system (prefers-color-scheme),
 * "light" and "dark" pin it. Kept in a plain cookie so the server renders the first paint in the
 * right theme (app/layout.tsx puts data-theme on <html>): no flash, and no inline script, which
 * the nonce CSP would refuse without its nonce anyway. Not a secret and not trusted: anything but
 * the two pinned values reads as "system".
 */
export const THEMES = ["system", "light", "dark"] as const;
export type ThemePreference = (typeof THEMES)[number];

export const THEME_COOKIE = "theme";
const ONE_YEAR_S = 365 * 24 * 60 * 60;

export function parseTheme(value: string | null | undefined): ThemePreference {
  return value === "light" || value === "dark" ? value : "system";
}

/** The value of <html data-theme>: none for "system", so the stylesheet's media query decides. */
export function themeAttribute(theme: ThemePreference): "light" | "dark" | undefined {
  return theme === "system" ? undefined : theme;
}

/** The Set-Cookie string for document.cookie: "system" deletes the cookie (the default needs none). */
export function themeCookie(theme: ThemePreference, secure: boolean): string {
  const attributes = `Path=/; SameSite=Lax${secure ? "; Secure" : ""}`;
  return theme === "system"
    ? `${THEME_COOKIE}=; Max-Age=0; ${attributes}`
    : `${THEME_COOKIE}=${theme}; Max-Age=${ONE_YEAR_S}; ${attributes}`;
}
