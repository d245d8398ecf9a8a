import fc from "fast-check";

/**
 * Input generators for the REST fuzz test (server/http/fuzz.test.ts), driven
 * by the OpenAPI document: for each operation, requests that are valid, a
 * little wrong, or thoroughly hostile. Generic by design (a new operation is
 * fuzzed without touching this file); the few hints below only raise the
 * share of inputs that are valid, so that the success paths run too.
 */

/** The subset of JSON Schema the document uses. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
  $ref?: string;
}

/** Values people and attackers send that are known to break naive code. */
export const NAUGHTY_STRINGS: readonly string[] = [
  "",
  " ",
  "\t\n\r",
  "null",
  "undefined",
  "NaN",
  "Infinity",
  "-Infinity",
  "1e999",
  "-1e999",
  "0x1F",
  "0b101",
  "1_000",
  " 42 ",
  "-0",
  "9007199254740993",
  "true",
  "[]",
  "{}",
  "' OR '1'='1",
  "'; DROP TABLE contacts; --",
  '" OR ""="',
  "1; SELECT * FROM users",
  "%",
  "_",
  "\\",
  "\\'",
  "' UNION SELECT email_index FROM contacts --",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "javascript:alert(1)",
  "{{7*7}}",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as literal text
  "${7*7}",
  "../../../../etc/passwd",
  "..%2F..%2Fetc%2Fpasswd",
  "%00",
  "\u0000",
  "a\u0000b",
  "\u0007\u001b[2J",
  "\u0085",
  "\u202Egnp.exe",
  "\u2066\u2069",
  "\u200B\u200D\uFEFF",
  "\uD800",
  "\uDFFF",
  "a\uD83Db",
  "\uFFFD\uFFFF",
  "e\u0301",
  "\u00E9",
  "Å\u030A",
  "𝕳𝖊𝖑𝖑𝖔",
  "🐘👩‍👩‍👧‍👦🏳️‍🌈",
  "ﷺ",
  "\u0958",
  "İı",
  "ß",
  "Ω",
  "__proto__",
  "constructor",
  "prototype",
  "con_aaaaaaaaaaaaaaaaaaaa",
  "tok_aaaaaaaaaaaaaaaaaaaa",
  "usr_aaaaaaaaaaaaaaaaaaaa",
  "admin",
  "contacts:read contacts:write",
  "a@b",
  "a@b.c",
  "@example.com",
  "test@example.com\r\nBcc: x@evil.example",
  "+",
  "+0",
  "+999999999999999999999",
];

export const HUGE_NUMBERS: readonly number[] = [
  0,
  -0,
  -1,
  1.5,
  -1.5,
  2 ** 31,
  2 ** 32 + 1,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53) - 2,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e308,
  1e-308,
];

/** Arbitrary JSON, nested `depth` levels of arrays or objects. */
export function nested(depth: number): fc.Arbitrary<unknown> {
  return fc.constantFrom("array", "object", "mixed").map((kind) => {
    let value: unknown = "leaf";
    for (let i = 0; i < depth; i++) {
      value = kind === "array" || (kind === "mixed" && i % 2) ? [value] : { a: value };
    }
    return value;
  });
}

const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(...HUGE_NUMBERS),
  fc.constantFrom(...NAUGHTY_STRINGS),
  fc.integer({ min: 2, max: 80 }).chain((d) => nested(d)),
  fc.array(fc.constant(0), { minLength: 900, maxLength: 1500 }),
);

function resolve(schema: JsonSchema, components: Record<string, JsonSchema>): JsonSchema {
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop() as string;
    return resolve(components[name] ?? {}, components);
  }
  return schema;
}

/** Field-name hints: they only help valid inputs happen; everything else is derived from the schema. */
const HINTS: Record<string, fc.Arbitrary<unknown>> = {
  email: fc.oneof(fc.emailAddress(), fc.constantFrom("ada@example.com", "ADA@Example.com", " grace@navy.example ")),
  phone: fc.constantFrom("+41446681800", "+1 (202) 555-0123", "+44 20 7946 0018", "+12025550199"),
  name: fc.oneof(
    fc.string({ minLength: 1, maxLength: 30 }),
    fc.constantFrom("Ada Lovelace", "Zoë", "e\u0301lise", "李小龙"),
  ),
};

/** Mostly-valid values for a schema (valid when the schema says all there is to say). */
export function validValue(
  schema: JsonSchema,
  components: Record<string, JsonSchema>,
  field?: string,
): fc.Arbitrary<unknown> {
  const s = resolve(schema, components);
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.const !== undefined) return fc.constant(s.const);
  const union = s.anyOf ?? s.oneOf;
  if (union) return fc.oneof(...union.map((u) => validValue(u, components, field)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (field && HINTS[field] && type === "string") return HINTS[field] as fc.Arbitrary<unknown>;
  switch (type) {
    case "string": {
      const minLength = s.minLength ?? 0;
      const maxLength = Math.min(s.maxLength ?? 50, 80);
      if (s.pattern) {
        return fc
          .stringMatching(new RegExp(s.pattern))
          .filter((v) => v.length >= minLength && v.length <= (s.maxLength ?? Infinity));
      }
      return fc.string({ minLength, maxLength: Math.max(minLength, maxLength) });
    }
    case "integer":
    case "number": {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1000);
      const max = Math.min(
        s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1000),
        min + 1_000_000,
      );
      return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
    }
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array": {
      const minLength = s.minItems ?? 0;
      return fc.uniqueArray(validValue(s.items ?? {}, components), {
        minLength,
        maxLength: Math.max(minLength, Math.min(s.maxItems ?? 3, 3)),
        selector: (v) => JSON.stringify(v),
      });
    }
    case "object":
      return validObject(s, components);
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}

export function validObject(
  schema: JsonSchema,
  components: Record<string, JsonSchema>,
): fc.Arbitrary<Record<string, unknown>> {
  const s = resolve(schema, components);
  const properties = s.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, sub] of Object.entries(properties)) model[key] = validValue(sub, components, key);
  return fc.record(model, { requiredKeys: (s.required ?? []).filter((k) => k in properties) }) as fc.Arbitrary<
    Record<string, unknown>
  >;
}

/** Values that are wrong for a schema, or hostile in general. */
export function hostileValue(schema: JsonSchema, components: Record<string, JsonSchema>): fc.Arbitrary<unknown> {
  const s = resolve(schema, components);
  const options: fc.Arbitrary<unknown>[] = [
    anyJson,
    fc.constantFrom(...NAUGHTY_STRINGS),
    fc.string({ unit: "binary", maxLength: 40 }),
  ];
  if (s.maxLength !== undefined) {
    // Boundaries: at, just over, far over the limit (in code units and in astral characters).
    options.push(
      fc.constantFrom(
        "x".repeat(s.maxLength),
        "x".repeat(s.maxLength + 1),
        "é".repeat(s.maxLength + 1),
        "🐘".repeat(Math.ceil(s.maxLength / 2) + 1),
        "x".repeat(100_000),
      ),
    );
  }
  if (s.minLength) options.push(fc.constant("x".repeat(s.minLength - 1)));
  if (s.pattern) {
    // Near misses: a valid value with a character changed, added or doubled.
    options.push(
      fc
        .tuple(
          fc.stringMatching(new RegExp(s.pattern)),
          fc.constantFrom("X", "\u0000", " ", "'", "%", "\uD800", "é"),
          fc.nat(),
        )
        .map(([v, c, at]) => {
          const i = v.length ? at % v.length : 0;
          return v.slice(0, i) + c + v.slice(i + 1);
        }),
    );
  }
  if (s.type === "integer" || s.type === "number" || s.minimum !== undefined || s.maximum !== undefined) {
    options.push(fc.constantFrom(...HUGE_NUMBERS));
    if (s.minimum !== undefined) options.push(fc.constant(s.minimum - 1));
    if (s.maximum !== undefined) options.push(fc.constant(s.maximum + 1));
    options.push(fc.double(), fc.constantFrom("1", "NaN", "Infinity", "1e999", "0x10"));
  }
  if (s.type === "array") {
    options.push(
      fc.constant(Array.from({ length: (s.maxItems ?? 20) + 1 }, () => "contacts:read")),
      fc.constant([]),
      fc.array(anyJson, { maxLength: 4 }),
    );
  }
  if (s.enum) options.push(fc.constantFrom(...s.enum.map((e) => `${String(e).toUpperCase()} `)));
  return fc.oneof(...options);
}

/** Keys a strict schema must refuse, including the prototype-pollution classics. */
export const EXTRA_KEYS: readonly string[] = [
  "__proto__",
  "constructor",
  "prototype",
  "ownerId",
  "id",
  "role",
  "isAdmin",
  "x".repeat(5000),
];

/** Text bodies that are not the JSON they claim to be (or not JSON at all). */
export const RAW_BODIES: readonly string[] = [
  "",
  "{",
  '{"name": "x"',
  "nul",
  "[1, 2,]",
  "{'name': 'single quotes'}",
  '{"name": "\\ud800"}',
  '{"a":1}{"b":2}',
  "\u0000\u0001",
  "<xml/>",
  "name=x&email=y",
  `${"[".repeat(5000)}${"]".repeat(5000)}`,
  `[${"0,".repeat(5000)}0]`,
  '{"__proto__": {"isAdmin": true}}',
  '{"name":"A","name":"B","email":"a@b.example"}',
];
