import readline from "node:readline";
import { Writable } from "node:stream";
import { UsageError } from "./errors";

/**
 * `--password -` reads the password from stdin instead of the command line,
 * where it would be visible in the process list, the shell history and the
 * line `npm run` echoes. Piped input is read whole (one trailing newline
 * dropped); on a terminal the user is prompted on stderr and nothing echoes.
 */
export const FROM_STDIN = "-";

export async function readSecret(flag: string): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = "";
    for await (const chunk of process.stdin) text += chunk;
    return text.replace(/\r?\n$/, "");
  }
  process.stderr.write(`${flag}: `);
  // readline over a muted output: it handles line editing, but nothing typed is shown.
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = readline.createInterface({ input: process.stdin, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once("line", resolve);
      rl.once("SIGINT", () => reject(new UsageError(`${flag}: cancelled`)));
      rl.once("close", () => reject(new UsageError(`${flag}: no value entered`)));
    });
  } finally {
    rl.removeAllListeners("close");
    rl.close();
    process.stderr.write("\n");
  }
}
