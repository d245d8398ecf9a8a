"use client";

import { useId, useSyncExternalStore } from "react";
import { THEMES, type ThemePreference, themeAttribute, themeCookie } from "./theme-preference";

const LABELS: Record<ThemePreference, string> = { system: "System", light: "Light", dark: "Dark" };

// Every switch on the page (header and mobile menu) shows the same choice: the <html> attribute
// is the one source of truth in the browser, and a choice tells every mounted switch.
const listeners = new Set<() => void>();
function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
function current(): ThemePreference {
  const attribute = document.documentElement.getAttribute("data-theme");
  return attribute === "light" || attribute === "dark" ? attribute : "system";
}

function choose(theme: ThemePreference) {
  // biome-ignore lint/suspicious/noDocumentCookie: one fixed-format cookie built by themeCookie; the Cookie Store API is not in every browser yet.
  document.cookie = themeCookie(theme, window.location.protocol === "https:");
  const attribute = themeAttribute(theme);
  if (attribute) document.documentElement.setAttribute("data-theme", attribute);
  else document.documentElement.removeAttribute("data-theme");
  for (const listener of listeners) listener();
}

/**
 * System / Light / Dark as a radio group (native radios: arrow keys move the choice, the legend
 * names the group). `initial` is what the server rendered from the cookie, so hydration matches.
 */
export function ThemeSwitch({ initial }: { initial: ThemePreference }) {
  const theme = useSyncExternalStore(subscribe, current, () => initial);
  const name = useId();
  return (
    <fieldset className="inline-flex rounded-md bg-slate-100 p-0.5" data-testid="theme-switch">
      <legend className="sr-only">Theme</legend>
      {THEMES.map((option) => (
        <label
          key={option}
          className="cursor-pointer rounded px-2 py-1 text-xs font-medium text-slate-600 has-checked:bg-white has-checked:text-slate-900 has-checked:shadow-xs has-focus-visible:outline-2 has-focus-visible:outline-brand-500"
        >
          <input
            type="radio"
            name={name}
            value={option}
            checked={theme === option}
            onChange={() => choose(option)}
            className="sr-only"
          />
          {LABELS[option]}
        </label>
      ))}
    </fieldset>
  );
}
