import { spawnSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { consoleText } from "./process-output";

/**
 * A production server process prints only JSON lines, whatever prints:
 * console.* (Next.js's own error reports, libraries' warnings), Node's
 * process warnings, and a crash (uncaught exception, unhandled rejection).
 * Run in a child process, since this is about the process's real stdout and
 * stderr and a crash ends it.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/tsx/dist/esm/index.mjs");

function runScript(body: string) {
  const script = `
    const { createLogger } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, "server/logger.ts")).href)});
    const { routeProcessOutputToLog } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, "server/observability/process-output.ts")).href)});
    routeProcessOutputToLog(createLogger({ level: "debug" }), ${JSON.stringify(ROOT)});
    ${body}
  `;
  const run = spawnSync(process.execPath, ["--import", pathToFileURL(TSX).href, "--input-type=module", "-e", script], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", LOG_LEVEL: "debug" },
    encoding: "utf8",
    timeout: 30_000,
  });
  const lines = `${run.stdout}${run.stderr}`.split("\n").filter((l) => l.trim() !== "");
  return { status: run.status, lines, stderr: run.stderr };
}

function expectJsonLines(lines: string[]) {
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    expect(() => JSON.parse(line), line).not.toThrow();
    expect(line, "no stack frame").not.toMatch(/\bat\s+\S+\s+\(|\n\s+at\s/);
    expect(line, "no path of this machine").not.toContain(ROOT);
  }
}

describe("process output in production", () => {
  it("turns every console call into one JSON line without stacks, colours or our folder", () => {
    const { status, lines } = runScript(`
      const error = new Error("boom in " + ${JSON.stringify(path.join(ROOT, ".next/server/app/page.js"))});
      console.error(error);
      console.error("\\u001b[31m⨯\\u001b[39m", error, { digest: "123" });
      console.warn("careful:\\nsecond line\\n    at fake (${ROOT}/x.js:1:1)");
      console.log("hello %s", "world");
      console.info({ nested: { deep: { deeper: { deepest: 1 } } } });
      console.debug("debugging");
      console.trace("traced");
      process.emitWarning("something is deprecated", "DeprecationWarning");
      setTimeout(() => {}, 50);
    `);
    expect(status).toBe(0);
    expectJsonLines(lines);
    const parsed = lines.map((l) => JSON.parse(l) as { level: string; msg: string; source?: string });
    expect(parsed.map((l) => l.level)).toEqual(["error", "error", "warn", "info", "info", "debug", "debug", "warn"]);
    expect(parsed[0]?.msg).toBe("Error: boom in ./.next/server/app/page.js");
    expect(parsed[1]?.msg).toMatch(/^⨯ Error: boom in .*digest: '123'/s);
    expect(parsed[2]?.msg).toBe("careful:\nsecond line");
    expect(parsed[3]?.msg).toBe("hello world");
    expect(parsed[7]).toMatchObject({ source: "process", msg: "something is deprecated" });
  });

  for (const [what, body] of [
    ["an uncaught exception", `setTimeout(() => { throw new Error("uncaught here"); }, 10);`],
    ["an unhandled rejection", `setTimeout(() => { Promise.reject(new TypeError("rejected here")); }, 10);`],
    ["a thrown non-error", `setTimeout(() => { throw "a string"; }, 10);`],
  ] as const) {
    it(`reports ${what} as one fatal JSON line and exits 1`, () => {
      const { status, lines } = runScript(body);
      expect(status).toBe(1);
      expectJsonLines(lines);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] as string)).toMatchObject({ level: "fatal", source: "process" });
    });
  }

  it("bounds a console message", () => {
    expect(consoleText(["x".repeat(10_000)]).length).toBeLessThanOrEqual(2_001);
  });
});
