import { getTableColumns, getTableName } from "drizzle-orm";
import { getTableConfig as pgConfig } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as sqliteSchema from "../schema";
import * as postgresSchema from "./schema";

/** db/postgres/schema.ts derives every table of db/schema, with the same columns, keys and indexes. */
type AnyTable = Parameters<typeof getTableName>[0];
const isTable = (value: unknown): value is AnyTable =>
  typeof value === "object" && value !== null && Symbol.for("drizzle:IsDrizzleTable") in value;

const sqliteTables = new Map(
  (Object.values(sqliteSchema) as unknown[]).filter(isTable).map((table) => [getTableName(table), table]),
);
const postgresTables = new Map(
  (Object.values(postgresSchema) as unknown[]).filter(isTable).map((table) => [getTableName(table), table]),
);

describe("the PostgreSQL schema", () => {
  it("has every table of db/schema, and no other", () => {
    expect([...postgresTables.keys()].sort()).toEqual([...sqliteTables.keys()].sort());
  });

  it("has each table's columns, nullability, keys, indexes, checks and foreign keys", () => {
    for (const [name, table] of sqliteTables) {
      const pg = postgresTables.get(name) as never;
      const columns = (t: never) =>
        Object.values(getTableColumns(t) as Record<string, { name: string; notNull: boolean; primary: boolean }>).map(
          (c) => [c.name, c.notNull, c.primary],
        );
      expect(columns(pg), name).toEqual(columns(table as never));
      const lite = sqliteConfig(table as never);
      const post = pgConfig(pg);
      expect(post.indexes.map((i) => [i.config.name, i.config.unique]).sort(), name).toEqual(
        lite.indexes.map((i) => [i.config.name, i.config.unique]).sort(),
      );
      expect(
        post.checks.map((c) => c.name),
        name,
      ).toEqual(lite.checks.map((c) => c.name));
      expect(post.foreignKeys.length, name).toBe(lite.foreignKeys.length);
      expect(post.primaryKeys.length, name).toBe(lite.primaryKeys.length);
    }
  });
});
