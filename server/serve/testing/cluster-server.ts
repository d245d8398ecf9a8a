import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { freePort } from "../../testing/free-port";

/**
 * Test support for the real production server (`node scripts/server.mjs`)
 * run as a child process: start it on a free port, keep its JSON log lines,
 * find which worker answered a request (the `pid` of the log line with that
 * request id), and stop it whatever happens. Traffic goes to 127.0.0.1 only,
 * each request on a connection of its own (`agent: false`), so that
 * node:cluster's round robin spreads them over the workers.
 */

export const ROOT = path.resolve(import.meta.dirname, "../../..");

export interface LogLine {
  pid?: number;
  msg?: string;
  level?: string;
  requestId?: string;
  door?: string;
  route?: string;
  status?: number;
  [key: string]: unknown;
}

/** Why the production build cannot be used (missing, or older than the server code it bundles), or null. */
export function buildProblem(buildDir: string): string | null {
  const dist = path.join(ROOT, buildDir);
  const bundle = path.join(dist, "gatehouse", "serve.mjs");
  for (const file of [path.join(dist, "BUILD_ID"), bundle]) {
    if (!fs.existsSync(file))
      return `no production build: ${path.relative(ROOT, file)} is missing (run: npm run build)`;
  }
  const built = fs.statSync(bundle).mtimeMs;
  const newer = newestSource(["server", "db"], built);
  if (newer) {
    return `the server bundle ${path.relative(ROOT, bundle)} is older than ${newer} (rebuild: npm run build, or node scripts/build-front.mjs)`;
  }
  return null;
}

/** The first non-test TypeScript source under these folders changed after `than`, or null. */
function newestSource(folders: string[], than: number): string | null {
  const stack = folders.map((f) => path.join(ROOT, f));
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "testing" && entry.name !== "node_modules") stack.push(full);
      } else if (/\.(ts|sql|json)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) {
        if (fs.statSync(full).mtimeMs > than) return path.relative(ROOT, full);
      }
    }
  }
  return null;
}

/** The parent pid of a live process (Linux /proc), or null. */
export function parentOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ")".
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  requestId: string;
}

let sequence = 0;
/** A well-formed X-Request-Id (8-64 of [A-Za-z0-9_.:-]) that the server keeps and logs. */
export function newRequestId(label: string): string {
  return `t-${label}-${process.pid}-${++sequence}`.slice(0, 64);
}

export interface ClusterServer {
  child: ChildProcess;
  port: number;
  origin: string;
  dataDir: string;
  /** Every JSON line the server wrote on stdout (supervisor and workers), in arrival order. */
  lines: LogLine[];
  /** The last few KiB of stdout and stderr, for failure messages. */
  tail(): string;
  /** What the server wrote on stderr (the supervisor's notes on workers that exited), up to 64 KiB. */
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** One request on a connection of its own; rejects on a network error (reset, refused) or after `timeoutMs`. */
  request(
    method: string,
    pathname: string,
    opts?: { headers?: Record<string, string>; body?: string; json?: unknown; label?: string; timeoutMs?: number },
  ): Promise<Answer>;
  /** The log line of this request, once the server has written it (bounded wait), or null. */
  lineOf(requestId: string, timeoutMs?: number): Promise<LogLine | null>;
  /** Which worker process answered this request. */
  pidOf(requestId: string, timeoutMs?: number): Promise<number | null>;
  /** Waits until a line matches (bounded); null on timeout. */
  waitForLine(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine | null>;
  /** SIGKILL the supervisor and every worker it had (afterAll: whatever happened). */
  kill(): Promise<void>;
}

export async function startClusterServer(options: {
  buildDir: string;
  dataDir: string;
  env: Record<string, string>;
  readyTimeoutMs: number;
  /** Also wait for the supervisor's "listening on … (production, N workers)" line. */
  workers?: number;
}): Promise<ClusterServer> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["scripts/server.mjs"], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_DIST_DIR: options.buildDir,
      NEXT_TELEMETRY_DISABLED: "1",
      HOST: "127.0.0.1",
      PORT: String(port),
      APP_URL: `http://localhost:${port}`,
      DATA_DIR: options.dataDir,
      LOG_LEVEL: "info",
      LOG_FORMAT: "json",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: LogLine[] = [];
  let tail = "";
  const keep = (text: string) => {
    tail = (tail + text).slice(-12_000);
  };
  let partial = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    keep(chunk);
    partial += chunk;
    let newline = partial.indexOf("\n");
    while (newline !== -1) {
      const line = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      if (line.startsWith("{")) {
        try {
          lines.push(JSON.parse(line) as LogLine);
        } catch {
          // Not one JSON line (e.g. two processes' writes interleaved): ignored.
        }
      } else if (line.trim()) {
        lines.push({ msg: line.trim(), text: true });
      }
      newline = partial.indexOf("\n");
    }
  });
  child.stderr?.setEncoding("utf8");
  let stderr = "";
  child.stderr?.on("data", (chunk: string) => {
    keep(chunk);
    stderr = (stderr + chunk).slice(-65_536);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  void exit.then((how) => {
    exited = how;
  });

  const workerPids = () =>
    new Set(lines.map((l) => l.pid).filter((p): p is number => p !== undefined && p !== child.pid));

  const server: ClusterServer = {
    child,
    port,
    origin,
    dataDir: options.dataDir,
    lines,
    tail: () => tail,
    stderr: () => stderr,
    exit,
    request(method, pathname, opts = {}) {
      const requestId = newRequestId(opts.label ?? "r");
      const body = opts.json !== undefined ? JSON.stringify(opts.json) : opts.body;
      const headers: Record<string, string> = {
        "x-request-id": requestId,
        ...(opts.json !== undefined ? { "content-type": "application/json" } : {}),
        ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}),
        ...opts.headers,
      };
      return new Promise<Answer>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method, path: pathname, headers, agent: false }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, requestId }));
          res.on("error", reject);
        });
        req.on("error", reject);
        req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error(`timeout: ${method} ${pathname}`)));
        req.end(body);
      });
    },
    async lineOf(requestId, timeoutMs = 3_000) {
      return server.waitForLine((l) => l.requestId === requestId && l.msg === "request", timeoutMs);
    },
    async pidOf(requestId, timeoutMs = 3_000) {
      return (await server.lineOf(requestId, timeoutMs))?.pid ?? null;
    },
    async waitForLine(match, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let from = 0;
      for (;;) {
        for (; from < lines.length; from++) if (match(lines[from] as LogLine)) return lines[from] as LogLine;
        if (Date.now() > deadline) return null;
        await sleep(20);
      }
    },
    async kill() {
      // Only processes that are still this supervisor's children: a pid seen in the logs may since belong to another.
      for (const pid of workerPids()) {
        if (child.pid === undefined || parentOf(pid) !== child.pid) continue;
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      if (!exited) {
        child.kill("SIGKILL");
        await Promise.race([exit, sleep(5_000)]);
      }
    },
  };

  const deadline = Date.now() + options.readyTimeoutMs;
  const listening = `(production, ${options.workers ?? 0} workers)`;
  for (;;) {
    if (exited) throw new Error(`the server exited (${JSON.stringify(exited)}) before it was ready:\n${tail}`);
    let ready = false;
    try {
      ready = (await server.request("GET", "/api/ready", { label: "ready", timeoutMs: 2_000 })).status === 200;
    } catch {
      // not listening yet
    }
    // /api/ready answers as soon as one worker listens: wait for the supervisor's word that all do.
    if (ready && (!options.workers || lines.some((l) => l.msg?.includes(listening)))) break;
    if (Date.now() > deadline) {
      await server.kill();
      throw new Error(`the server was not ready within ${options.readyTimeoutMs} ms:\n${tail}`);
    }
    await sleep(250);
  }
  return server;
}
