/** Writes the REST API's generated types (server/http/openapi-types.ts says why they are committed). */
import fs from "node:fs";
import { generateOpenApiTypes, OPENAPI_TYPES_FILE } from "../server/http/openapi-types";

fs.writeFileSync(OPENAPI_TYPES_FILE, await generateOpenApiTypes());
console.log(`wrote ${OPENAPI_TYPES_FILE}`);
