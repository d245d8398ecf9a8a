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
 * The two documents differ only in their origin and the server's description
 * (checked below), so the http one is linted as its frame (info, servers,
 * security schemes, no paths): a whole second lint costs seconds for nothing.
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
const HTTPS_ORIGIN = "https://gatehouse.example";
const HTTP_ORIGIN = "http://localhost:3000";

let dir: string;
let findings: Finding[];
let https: string;
let http: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-openapi-lint-"));
  https = path.join(dir, "https.json");
  http = path.join(dir, "http.json");
  fs.writeFileSync(https, JSON.stringify(buildOpenApiDocument(HTTPS_ORIGIN)));
  const local = buildOpenApiDocument(HTTP_ORIGIN);
  const frame = {
    openapi: local.openapi,
    info: local.info,
    servers: local.servers,
    tags: local.tags,
    paths: {},
    components: { securitySchemes: local.components?.securitySchemes },
  };
  fs.writeFileSync(http, JSON.stringify(frame));
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

  it("the plain-http document is the https one with another origin and server description", () => {
    const local = JSON.stringify(buildOpenApiDocument(HTTP_ORIGIN));
    const secure = buildOpenApiDocument(HTTPS_ORIGIN);
    const rebased = JSON.parse(JSON.stringify(secure).replaceAll(HTTPS_ORIGIN, HTTP_ORIGIN));
    rebased.servers[0].description = JSON.parse(local).servers[0].description;
    expect(JSON.parse(local)).toEqual(rebased);
  });

  // Also the proof that the OWASP ruleset loaded and ran: a ruleset that failed to load would find nothing.
  it("finds exactly one error for a plain-http server: that it is not on HTTPS", () => {
    const errors = findings.filter((f) => f.source === http && f.severity === ERROR);
    expect(errors.map((f) => `${f.code} ${f.path.join(".")}`)).toEqual([
      "owasp:api8:2023-no-server-http servers.0.url",
    ]);
  });
});
