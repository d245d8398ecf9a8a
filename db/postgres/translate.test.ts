import { describe, expect, it } from "vitest";
import { toPostgres } from "./translate";

describe("SQLite SQL in PostgreSQL's words", () => {
  it("numbers placeholders in order, and leaves a ? inside strings, names and comments alone", () => {
    expect(toPostgres(`select "a" from "t" where "b" = ? and "c" in (?, ?) limit ?`)).toBe(
      `select "a" from "t" where "b" = $1 and "c" in ($2, $3) limit $4`,
    );
    expect(toPostgres(`select 'what?', "odd?name" from t -- why?\nwhere x = ? /* and? */`)).toBe(
      `select 'what?', "odd?name" from t -- why?\nwhere x = $1 /* and? */`,
    );
    expect(toPostgres(`select 'it''s ?' where y = ?`)).toBe(`select 'it''s ?' where y = $1`);
  });

  it("makes like case-insensitive, as it is in SQLite, and keeps its escape clause", () => {
    expect(toPostgres(`select * from "users" where "users"."name" like ? escape '\\'`)).toBe(
      `select * from "users" where "users"."name" ilike $1 escape '\\'`,
    );
    expect(toPostgres(`where a not LIKE ?`)).toBe(`where a not ilike $1`);
    // A name that merely contains the word is not touched.
    expect(toPostgres(`select "likes", likely from t`)).toBe(`select "likes", likely from t`);
  });

  it("turns an FTS5 match into a text search over the table the migration builds", () => {
    expect(
      toPostgres(
        `select * from audit_search join audit_log r on r.seq = audit_search.rowid where audit_search match ?`,
      ),
    ).toBe(
      `select * from audit_search join audit_log r on r.seq = audit_search.rowid where "audit_search".document @@ gatehouse_fts_query($1)`,
    );
    expect(toPostgres(`where ("audit_search" match ? and "x" = ?)`)).toBe(
      `where ("audit_search".document @@ gatehouse_fts_query($1) and "x" = $2)`,
    );
  });

  it("quotes an alias with capitals, whose case SQLite keeps and PostgreSQL would fold", () => {
    expect(toPostgres(`select user_id AS userId, "limit", window_ms as windowMs, n as n from t`)).toBe(
      `select user_id AS "userId", "limit", window_ms as "windowMs", n as n from t`,
    );
  });

  it("names an upsert's conflict target without its table, as PostgreSQL wants it", () => {
    expect(
      toPostgres(
        `insert into "t" ("a", "b") values (?, ?) on conflict ("t"."a", "t"."b") do update set "n" = "t"."n" + excluded."n"`,
      ),
    ).toBe(
      `insert into "t" ("a", "b") values ($1, $2) on conflict ("a", "b") do update set "n" = "t"."n" + excluded."n"`,
    );
  });

  it("turns SQLite's backtick-quoted names into standard quoted names", () => {
    expect(toPostgres('select `a`, `we"ird` from `t`')).toBe(`select "a", "we""ird" from "t"`);
  });

  it("refuses SQLite-only forms rather than guessing at them", () => {
    expect(() => toPostgres("insert or ignore into t (a) values (?)")).toThrow(/insert or|SQLite-only/);
    expect(() => toPostgres("update or replace t set a = ?")).toThrow(/SQLite-only/);
    expect(() => toPostgres("pragma busy_timeout = 0")).toThrow(/SQLite-only/);
    expect(() => toPostgres("select * from audit_search where audit_search match 'x'")).toThrow(/SQLite-only/);
    // `or` in a condition is plain SQL.
    expect(toPostgres("select * from t where a = ? or b = ?")).toBe("select * from t where a = $1 or b = $2");
  });
});
