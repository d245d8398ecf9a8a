import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/**
 * nginx in front of a fleet, for the bench (BENCH_STORES=fleet) and the fleet
 * test: in the foreground, one worker process, round-robin over the instances
 * with keep-alive connections to them, as docs/deploy.md sets it up (without
 * TLS). Everything it writes (pid, error log, temp folders) stays in `dir`.
 */

export const NGINX = process.env.NGINX_BIN ?? "/usr/sbin/nginx";
/** Idle keep-alive connections nginx keeps open to the instances (per worker), as in docs/deploy.md. */
export const UPSTREAM_KEEPALIVE = 64;

/** nginx's version (`1.22.1` of `nginx version: nginx/1.22.1`), or a reason to give up. */
export function requireNginx(): string {
  const probe = spawnSync(NGINX, ["-v"], { encoding: "utf8" });
  if (probe.error) {
    throw new Error(
      `nginx is not installed at ${NGINX} (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message}): ` +
        "a fleet runs behind it. Install it (apt-get install nginx) or set NGINX_BIN.",
    );
  }
  return `${probe.stderr}${probe.stdout}`.trim().replace(/^nginx version:\s*(nginx\/)?/, "");
}

function config(dir: string, host: string, port: number, upstreams: number[]): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # wrk's connections are kept for the whole run, like the ones to the instances.
  keepalive_requests 1000000;
  upstream gatehouse {
${upstreams.map((p) => `    server ${host}:${p} max_fails=3 fail_timeout=10s;`).join("\n")}
    keepalive ${UPSTREAM_KEEPALIVE};
    keepalive_requests 1000000;
  }
  server {
    listen ${host}:${port};
    location / {
      proxy_pass http://gatehouse;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error http_502 http_503;
      proxy_next_upstream_tries 2;
    }
  }
}
`;
}

/** Starts nginx on host:port in front of the instances on `upstreams`, and waits until /api/health answers through it. */
export async function startNginx(dir: string, host: string, port: number, upstreams: number[]): Promise<ChildProcess> {
  fs.mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, "nginx.conf");
  fs.writeFileSync(conf, config(dir, host, port, upstreams));
  const errorLog = path.join(dir, "nginx-error.log");
  const child = spawn(NGINX, ["-c", conf, "-p", dir, "-e", errorLog], { stdio: ["ignore", "inherit", "inherit"] });
  const tail = () => (fs.existsSync(errorLog) ? fs.readFileSync(errorLog, "utf8").slice(-1_500) : "");
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${tail()}`);
    try {
      if ((await fetch(`http://${host}:${port}/api/health`, { signal: AbortSignal.timeout(2_000) })).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`nginx did not answer on ${host}:${port} within 10 s: ${tail()}`);
}

/** Stops nginx with SIGTERM, not SIGKILL: its master stops the worker processes only when it is let to. */
export async function stopNginx(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
}
