import { createRequire } from "node:module";
import path from "node:path";
import { ZxcvbnFactory } from "@zxcvbn-ts/core";

type CommonLists = typeof import("@zxcvbn-ts/language-common");
type EnglishLists = typeof import("@zxcvbn-ts/language-en");

/**
 * Common and breached passwords are refused, offline. The lists are
 * zxcvbn-ts's (kept by that project, shipped in its npm packages): 49,233
 * common and breached passwords, 7,776 diceware words, 55,830 common English
 * words, 93,744 first and last names and 29,782 Wikipedia terms — about
 * 236,000 entries. zxcvbn matches a password against them the way a cracker
 * would try it — any case, l33t substitutions, reversed, repeated, with
 * digits or a year appended — together with keyboard walks (qwertyuiop),
 * sequences (123456789012) and repeats (aaaa…), and estimates how many
 * guesses would find it. A password a cracker would find within 10^8 guesses
 * (zxcvbn score below 3) is refused, with zxcvbn's reason.
 *
 * Loaded on first use: the dictionaries cost ~0.3 s and ~25 MB of heap, and
 * most processes (an API-only worker, the supervisor) never set a password.
 * A static import would load them in every process at start — twice in a
 * worker that serves pages, whose Next.js bundle has its own copy — so they
 * are required when first needed, from node_modules at run time (resolved
 * from the project folder, which every Gatehouse process runs in).
 */
const requireAtRunTime = createRequire(path.join(process.cwd(), "package.json"));

let lists: { common: CommonLists; english: EnglishLists } | undefined;

function dictionaries(): { common: CommonLists; english: EnglishLists } {
  lists ??= {
    common: requireAtRunTime("@zxcvbn-ts/language-common") as CommonLists,
    english: requireAtRunTime("@zxcvbn-ts/language-en") as EnglishLists,
  };
  return lists;
}

export const MIN_SCORE = 3;
/** Characters of a password that are estimated (see below). */
export const ESTIMATED_LENGTH = 64;

let factory: ZxcvbnFactory | undefined;

function estimator(): ZxcvbnFactory {
  if (factory) return factory;
  const { common, english } = dictionaries();
  factory = new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
    // The estimate's cost grows fast with length and with l33t-looking characters (a random
    // 256-character password took 14 s of CPU with the defaults): only the first 64 characters are
    // estimated, which is sound (the whole is at least as hard to guess as its start; a long password
    // with a guessable start is refused, and its owner can choose another), and l33t substitutions
    // are capped at 10 per password. Worst case about 0.3 s.
    maxLength: ESTIMATED_LENGTH,
    l33tMaxSubstitutions: 10,
  });
  return factory;
}

/** The number of entries in the lists a password is checked against (the README and a test quote it). */
export function listSize(): number {
  const { common, english } = dictionaries();
  const all = { ...common.dictionary, ...english.dictionary } as Record<string, unknown>;
  return Object.values(all).reduce<number>((n, list) => n + (Array.isArray(list) ? list.length : 0), 0);
}

/**
 * Why this password is refused, as a sentence for the person choosing it;
 * null when it is acceptable. `context` holds words an attacker would try
 * first for this account (its email and name, the product's name).
 */
export function passwordWeakness(password: string, context: readonly string[] = []): string | null {
  const inputs = ["gatehouse", ...context.flatMap(contextWords)];
  const result = estimator().check(password, inputs);
  if (result.score >= MIN_SCORE) return null;
  const warning = result.feedback.warning?.trim() || "It is made of common words, names or patterns.";
  const suggestion = result.feedback.suggestions.find((s) => s.trim().length > 0)?.trim();
  return `is too easy to guess (a common or breached password, or close to one): ${warning}${suggestion ? ` ${suggestion}` : ""}`;
}

/** An email gives its local part and its domain's labels; a name its words. */
function contextWords(value: string): string[] {
  return value
    .toLowerCase()
    .split(/[@.\s_+-]+/)
    .filter((word) => word.length >= 3);
}
