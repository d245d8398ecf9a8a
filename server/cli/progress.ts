/**
 * A progress bar for long commands, on stderr so stdout stays the command's
 * result (text or --json). On a terminal it redraws one line in place; in a
 * pipe or a log file it prints a plain line at most once a second, so a
 * crash leaves a readable trail of how far it got.
 */
export interface ProgressBar {
  update(done: number, total: number): void;
  finish(): void;
}

const WIDTH = 30;

export function renderBar(done: number, total: number, ratePerSecond: number | null): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * WIDTH);
  const rate = ratePerSecond === null ? "" : `  ${Math.round(ratePerSecond)} rows/s`;
  return `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${done}/${total} rows${rate}`;
}

export function createProgressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  now: () => number = Date.now,
): ProgressBar {
  const started = now();
  const tty = Boolean(stream.isTTY);
  let lastPrinted = 0;
  let lastLine = "";
  let first: number | null = null;
  return {
    update(done, total) {
      first ??= done;
      const elapsed = (now() - started) / 1000;
      const line = `${label} ${renderBar(done, total, elapsed > 0.5 ? (done - first) / elapsed : null)}`;
      if (tty) {
        stream.write(`\r${line}\u001b[K`);
      } else if (now() - lastPrinted >= 1000 || done >= total) {
        if (line !== lastLine) stream.write(`${line}\n`);
        lastPrinted = now();
      }
      lastLine = line;
    },
    finish() {
      if (tty && lastLine) stream.write("\n");
    },
  };
}
