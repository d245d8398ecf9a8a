import { defineConfig } from "drizzle-kit";

// PostgreSQL migrations, generated from the tables derived from db/schema:
// `npm run db:generate` runs drizzle-kit with this file after the SQLite one.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/postgres/schema.ts",
  out: "./db/postgres/migrations",
  strict: true,
  verbose: true,
});
