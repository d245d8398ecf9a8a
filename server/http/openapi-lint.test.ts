import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcess } from "../testing/run-process";
import { buildOpenApiDocument } from "./openapi";

/**
 * CI's lint of the OpenAPI document: the Spectral CLI with the repository's
 * ruleset (.spectral.yaml: spectral:oas and the OWASP API Security ruleset,
 * every rule narrowed or switched off there with its reason), on the
 * document generated in process, as the server serves it:
 * - for an https APP_URL (production): no error at all;
 * - for a plain-http APP_URL (local development): exactly one, the OWASP rule
 *   that says the server is not on HTTPS, which is true and stays an error.
 * One CLI run lints both.
 */

interface Finding {
  code: string;
  message: string;
  path: string[];
  severity: number;
  source: string;
}

const ERROR = 0;

let dir: string;
let findings: Finding[];
let https: string;
let http: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-openapi-lint-"));
  https = path.join(dir, "https.json");
  http = path.join(dir, "http.json");
  fs.writeFileSync(https, JSON.stringify(buildOpenApiDocument("https://gatehouse.example")));
  fs.writeFileSync(http, JSON.stringify(buildOpenApiDocument("http://localhost:3000")));
  const out = path.join(dir, "findings.json");
  const run = await runProcess(
    path.join(process.cwd(), "node_modules", ".bin", "spectral"),
    [
      "lint",
      "--ruleset",
      path.join(process.cwd(), ".spectral.yaml"),
      "--format",
      "json",
      "--output",
      out,
      "--quiet",
      https,
      http,
    ],
    { env: { ...process.env, NO_COLOR: "1" } },
  );
  // Exit code 1 means "findings at or above the fail severity"; anything else is Spectral itself failing.
  if (run.code !== 0 && run.code !== 1) throw new Error(`spectral failed (${run.code}): ${run.stderr}${run.stdout}`);
  findings = JSON.parse(fs.readFileSync(out, "utf8")) as Finding[];
}, 60_000);

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const describeFinding = (f: Finding) => `${f.code} at ${f.path.join(".")}: ${f.message}`;

describe("Spectral (spectral:oas + OWASP) on the generated document", () => {
  it("finds no error in the document of an https server", () => {
    const errors = findings.filter((f) => f.source === https && f.severity === ERROR).map(describeFinding);
    expect(errors).toEqual([]);
  });

  // Also the proof that the OWASP ruleset loaded and ran: a ruleset that failed to load would find nothing.
  it("finds exactly one error for a plain-http server: that it is not on HTTPS", () => {
    const errors = findings.filter((f) => f.source === http && f.severity === ERROR);
    expect(errors.map((f) => `${f.code} ${f.path.join(".")}`)).toEqual([
      "owasp:api8:2023-no-server-http servers.0.url",
    ]);
  });
});
