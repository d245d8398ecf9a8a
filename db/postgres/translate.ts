/**
 * SQL as drizzle's SQLite dialect writes it, in PostgreSQL's words. The
 * services' queries are built once, by one query builder (docs/storage.md
 * says why); what that builder writes is standard SQL but for three forms,
 * each turned here into its PostgreSQL equivalent:
 *
 * - placeholders: `?`, numbered in order → `$1`, `$2`, …;
 * - `like`: case-insensitive for ASCII in SQLite, case-sensitive in
 *   PostgreSQL → `ilike`, which is what SQLite meant;
 * - FTS5's `<table> match ?` (full-text search) → `<table>.document @@
 *   gatehouse_fts_query(?)` over the table the PostgreSQL migration builds
 *   for it (db/postgres/migrations/*_sqlite_compat.sql);
 * - an unquoted alias with capitals (`as userId`): SQLite keeps its case,
 *   PostgreSQL folds it to lower case → quoted, `as "userId"`;
 * - an upsert's conflict target names its columns with their table
 *   (`on conflict ("t"."key")`), which PostgreSQL refuses → `("key")`.
 *
 * The SQLite functions the queries call that PostgreSQL lacks (instr,
 * json_extract) are created by that migration rather than rewritten.
 * Quoted strings, quoted names and comments are copied untouched. Anything
 * else SQLite-only is refused, with the statement's start, rather than
 * guessed at: `insert or …`, `pragma`, and `match` with anything but a
 * placeholder.
 */
export function toPostgres(source: string): string {
  let out = "";
  let placeholder = 0;
  let i = 0;
  const n = source.length;
  let lastWordStart = -1;
  let lastWord = "";
  while (i < n) {
    const c = source[i] as string;
    if (c === "'" || c === '"' || c === "`") {
      const close = c === "`" ? "`" : c;
      let j = i + 1;
      while (j < n) {
        if (source[j] === close) {
          if (source[j + 1] === close) j += 2;
          else break;
        } else j++;
      }
      const quoted = source.slice(i, j + 1);
      // Backticks quote names in SQLite only.
      out += c === "`" ? `"${quoted.slice(1, -1).replaceAll('"', '""')}"` : quoted;
      if (c !== "'") {
        lastWord = quoted.slice(1, -1);
        lastWordStart = out.length - quoted.length;
      }
      i = j + 1;
      continue;
    }
    if (c === "-" && source[i + 1] === "-") {
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? n : end;
      out += source.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? n : end + 2;
      out += source.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === "?") {
      out += `$${++placeholder}`;
      i++;
      continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(source[j] as string)) j++;
      const word = source.slice(i, j);
      const lower = word.toLowerCase();
      if (lastWord.toLowerCase() === "as" && word !== lower) out += `"${word}"`;
      else if (lower === "like") out += "ilike";
      else if (lower === "match") {
        const rest = /^\s*\?/.exec(source.slice(j));
        if (!rest || lastWordStart < 0) throw untranslatable(source, "match");
        // `<table> match ?` → `<table>.document @@ gatehouse_fts_query($n)`
        out = `${out.slice(0, lastWordStart)}"${lastWord}".document @@ gatehouse_fts_query($${++placeholder})`;
        i = j + rest[0].length;
        continue;
      } else if ((lower === "pragma" || lower === "or") && isSqliteOnly(lower, out)) {
        throw untranslatable(source, lower);
      } else out += word;
      lastWord = word;
      lastWordStart = out.length - word.length;
      i = j;
      continue;
    }
    if (!/\s/.test(c) && c !== "." && c !== '"') lastWordStart = -1;
    out += c;
    i++;
  }
  return out.replace(CONFLICT_TARGET, (_, columns: string) => `on conflict (${columns.replace(QUALIFIER, "")})`);
}

const CONFLICT_TARGET = /on conflict \(([^()']*)\)/gi;
const QUALIFIER = /"(?:[^"]|"")+"\./g;

function isWordStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
}

function isWordPart(c: string): boolean {
  return isWordStart(c) || (c >= "0" && c <= "9") || c === "$";
}

/** `pragma` anywhere; `or` right after `insert` / `update` (SQLite's conflict clause: `insert or ignore`). */
function isSqliteOnly(word: string, before: string): boolean {
  if (word === "pragma") return true;
  return /\b(insert|update)\s*$/i.test(before);
}

function untranslatable(source: string, form: string): Error {
  return new Error(`SQLite-only SQL (${form}) has no PostgreSQL translation: ${source.slice(0, 60)}…`);
}

/** Translations by source text: the same few hundred statements come again and again. */
const cache = new Map<string, string>();
const CACHE_SIZE = 2_000;

export function toPostgresCached(source: string): string {
  let translated = cache.get(source);
  if (translated === undefined) {
    translated = toPostgres(source);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(source, translated);
  }
  return translated;
}
