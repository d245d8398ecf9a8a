import { type ChildProcess, spawn } from "node:child_process";

/**
 * The physical limit of the bench: a node:http hello world in a process of
 * its own (like one Gatehouse worker), on the same machine, same Node, same
 * load generator. Nothing of Gatehouse is loaded in it.
 */
const HELLO = `
const http = require("node:http");
const body = Buffer.from("hello world\\n");
http
  .createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
    res.end(body);
  })
  .listen(Number(process.env.PORT), process.env.HOST, () => process.send && process.send("listening"));
process.on("SIGTERM", () => process.exit(0));
`;

export async function startBareServer(host: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-e", HELLO], {
    env: { PATH: process.env.PATH, NODE_ENV: "production", HOST: host, PORT: String(port) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the bare node:http server did not start within 10 s")), 10_000);
    child.once("message", () => {
      clearTimeout(timer);
      resolve();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the bare node:http server exited with ${code} (is port ${port} taken? set BENCH_PORT)`));
    });
  });
  return child;
}
