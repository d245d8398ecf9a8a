import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The password lists (~25 MB once parsed) are loaded by the first password
 * check, not by importing the code that checks: a worker that serves the API
 * (and imports the routers, and with them the password schema) never pays
 * for them, nor does the supervisor. A child process, so that nothing this
 * test runner loaded before counts.
 */
const ROOT = path.resolve(import.meta.dirname, "../..");

function loadedLists(script: string): string {
  const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    env: { PATH: process.env.PATH, NODE_ENV: "test" },
    timeout: 60_000,
  });
  expect(child.status, child.stderr).toBe(0);
  return child.stdout.trim();
}

const REPORT = `const loaded = Object.keys((await import("node:module")).createRequire(import.meta.url).cache).filter((f) => f.includes("@zxcvbn-ts/language-")).length; console.log(loaded > 0 ? "loaded" : "not loaded");`;

describe("password lists", () => {
  it("are not loaded by importing the routers (and the password schema with them)", () => {
    expect(loadedLists(`await import("./server/root.ts"); ${REPORT}`)).toBe("not loaded");
  });

  it("are loaded by the first check, which then refuses a common password", () => {
    const out = loadedLists(
      `const { passwordWeakness } = await import("./server/auth/password-strength.ts"); if (passwordWeakness("password1234") === null) throw new Error("accepted"); ${REPORT}`,
    );
    expect(out).toBe("loaded");
  });
});
