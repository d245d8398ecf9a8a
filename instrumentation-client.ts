import { z } from "zod";

/**
 * Runs in the browser before the app's modules (Next.js instrumentation-client). The pages' CSP has
 * no 'unsafe-eval', and zod 4 probes `new Function` when it builds an object schema, to compile a
 * faster parser: the probe is refused and leaves a CSP violation report on every page whose forms
 * import the server's input schemas. Set before any schema is built, jitless skips the probe.
 *
 * The one place it is set: zod reads the setting when each object schema is constructed, and the
 * schemas of the forms (server/routers/…/*.schemas.ts) are constructed when their modules load, in
 * whatever order a page imports them. Next runs this file before the app's modules are evaluated (it
 * is in the root main chunk, ahead of hydration), so it is the only point that is early enough for
 * every page; a call in the form kit ran after some schemas already existed.
 */
z.config({ jitless: true });
