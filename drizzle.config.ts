import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./db/schema/index.ts",
  out: "./db/migrations",
  // Only used by `drizzle-kit studio`; migrations are generated from the schema.
  dbCredentials: { url: `${process.env.DATA_DIR ?? "./data"}/gatehouse.db` },
  strict: true,
  verbose: true,
});
