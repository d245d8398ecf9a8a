import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

/**
 * The forms validate in the browser with the server's own input schemas
 * (react-hook-form + zod), so every module under server/ that a component
 * imports for its values (not `import type`) must bundle for the browser:
 * no node:* built-ins, no native addons, no module that reads files. This
 * bundles each one as the browser would and fails naming what got in.
 */

const ROOT = path.resolve(__dirname, "../..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return sources(full);
    return /\.tsx?$/.test(entry) && !/\.test\.tsx?$/.test(entry) ? [full] : [];
  });
}

/** `import { x } from "@/server/…"` (values), not `import type`. */
function serverValueImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const match of text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+"@\/server\/([^"]+)";/gms)) {
    found.push(match[1] as string);
  }
  return found;
}

/** The forms' schema modules, named here too so that none can drop out of the check unnoticed. */
const FORM_SCHEMAS = [
  "routers/account/schemas",
  "routers/admin/cors.schemas",
  "routers/admin/oauth-clients.schemas",
  "routers/admin/users.form.schemas",
  "routers/contacts/schemas",
  "routers/rate-limits/schemas",
  "routers/tokens/schemas",
];

const imported = sources(path.join(ROOT, "components")).flatMap(serverValueImports);
const modules = [...new Set([...FORM_SCHEMAS, ...imported])].sort();

describe("server modules the browser bundles", () => {
  it("finds the components' imports", () => {
    expect(imported).toContain("auth/scopes");
  });

  it.each(modules)("@/server/%s bundles for the browser", async (mod) => {
    const result = await build({
      stdin: { contents: `export * from "@/server/${mod}";`, resolveDir: ROOT, loader: "ts" },
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      logLevel: "silent",
      tsconfig: path.join(ROOT, "tsconfig.json"),
      alias: { "@": ROOT },
    }).catch((error: { errors?: { text: string; location?: { file?: string } | null }[] }) => error);
    const errors = "errors" in result && result.errors ? result.errors : [];
    expect(errors.map((e) => `${e.location?.file ?? "?"}: ${e.text}`)).toEqual([]);
  });
});
