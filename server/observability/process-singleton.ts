/**
 * One instance per process, whatever the bundler does. Next.js may compile
 * the same module into more than one server bundle (route handlers, pages,
 * instrumentation), each with its own module-level variables; counters kept
 * in a module variable would then be split, and the periodic flush started
 * from instrumentation.ts would flush an empty copy. State that must be
 * shared in the process (traffic counts, metrics, aggregated audit groups)
 * lives on globalThis under a registered symbol instead.
 */
export function processSingleton<T>(name: string, create: () => T): T {
  const key = Symbol.for(`gatehouse.${name}`);
  const store = globalThis as unknown as Record<symbol, T | undefined>;
  let value = store[key];
  if (value === undefined) {
    value = create();
    store[key] = value;
  }
  return value;
}
