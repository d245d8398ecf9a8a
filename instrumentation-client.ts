import { z } from "zod";

/**
 * Runs in the browser before the app's modules (Next.js instrumentation-client). The pages' CSP has
 * no 'unsafe-eval', and zod 4 probes `new Function` when it builds an object schema, to compile a
 * faster parser: the probe is refused and leaves a CSP violation report on every page whose forms
 * import the server's input schemas. Set before any schema is built, jitless skips the probe.
 */
z.config({ jitless: true });
