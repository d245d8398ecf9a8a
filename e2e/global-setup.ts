import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { E2E_PORT } from "../playwright.config";

// E2E_STATE_FILE: a file of one's own, so two runs on one machine (each on its own E2E_PORT) do not share state.
export const STATE_FILE = process.env.E2E_STATE_FILE ?? path.join(import.meta.dirname, ".auth", "server.json");
/** The second factors the specs enrolled on this server (e2e/state.ts), beside the state: secrets, so 0600. */
export const FACTORS_FILE = `${STATE_FILE}.factors.json`;

export interface E2EState {
  dataDir: string;
  baseURL: string;
  adminEmail: string;
  oneTimePassword: string;
}

/**
 * Starts Gatehouse exactly as an operator would (`node scripts/server.mjs`,
 * production build, no admin given) on a fresh data folder, and reads the
 * bootstrap admin's one-time password from its console output, as a person
 * would.
 */
export default async function globalSetup() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-e2e-"));
  const baseURL = `http://localhost:${E2E_PORT}`;
  const server: ChildProcess = spawn(process.execPath, ["scripts/server.mjs"], {
    cwd: path.resolve(import.meta.dirname, ".."),
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(E2E_PORT),
      HOST: "127.0.0.1",
      APP_URL: baseURL,
      LOG_LEVEL: "warn",
      NEXT_TELEMETRY_DISABLED: "1",
      ADMIN_EMAIL: "",
      ADMIN_PASSWORD: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  server.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  server.stderr?.on("data", (chunk) => {
    output += chunk;
  });

  const deadline = Date.now() + 120_000;
  let password: string | undefined;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    // One JSON log line: {"level":"warn",…,"firstAdmin":{"email":…,"oneTimePassword":…},"msg":…}.
    password ??= /"oneTimePassword":"([^"]+)"/.exec(output)?.[1];
    if (password && (await ready(baseURL))) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!password) {
    server.kill("SIGTERM");
    throw new Error(`no one-time password printed:\n${output}`);
  }
  const adminEmail = /"firstAdmin":\{"email":"([^"]+)"/.exec(output)?.[1] ?? "admin@localhost";

  fs.mkdirSync(path.dirname(STATE_FILE), { recursive: true });
  const state: E2EState = { dataDir, baseURL, adminEmail, oneTimePassword: password };
  fs.writeFileSync(STATE_FILE, JSON.stringify(state), { mode: 0o600 });
  // A fresh server knows none of the last run's factors.
  fs.rmSync(FACTORS_FILE, { force: true });

  return async () => {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
}

async function ready(baseURL: string): Promise<boolean> {
  try {
    return (await fetch(`${baseURL}/api/ready`)).ok;
  } catch {
    return false;
  }
}
