import { spawnSync } from "node:child_process";
import path from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import { buildOpenApiDocument } from "./openapi";

/**
 * The TypeScript types of the REST API, generated from the OpenAPI document
 * by openapi-typescript, as a client would generate them. They are
 * committed (server/http/openapi-types.gen.ts) so that `tsc --noEmit`
 * type-checks the typed-client test against them before any test runs;
 * openapi-types.test.ts fails when the committed file differs from a fresh
 * generation, so it can never be a stale copy. Regenerate with
 * `npm run openapi:types`.
 */
export const OPENAPI_TYPES_FILE = "server/http/openapi-types.gen.ts";

const HEADER = `/**
 * Generated from the OpenAPI document (server/http/openapi.ts) by openapi-typescript.
 * Do not edit: run \`npm run openapi:types\`; openapi-types.test.ts fails when this file is stale.
 */
`;

export async function generateOpenApiTypes(): Promise<string> {
  // The origin does not appear in the types; any will do.
  const doc = buildOpenApiDocument("https://gatehouse.example");
  // biome-ignore lint/suspicious/noExplicitAny: our document type (trpc-to-openapi's) and openapi-typescript's differ nominally
  const ast = await openapiTS(doc as any);
  return formatted(HEADER + astToString(ast));
}

/** The source as the repository's formatter (biome) writes it, so the committed file passes `biome check`. */
function formatted(source: string): string {
  const biome = path.join(process.cwd(), "node_modules", ".bin", "biome");
  const run = spawnSync(biome, ["format", `--stdin-file-path=${OPENAPI_TYPES_FILE}`], {
    input: source,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`biome format failed: ${run.stderr}`);
  return run.stdout;
}
