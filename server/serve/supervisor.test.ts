import { describe, expect, it } from "vitest";
import { WORKER_OLD_SPACE_MB, workerExecArgv } from "./supervisor";

describe("workerExecArgv: the flags a worker is forked with", () => {
  const limit = `--max-old-space-size=${WORKER_OLD_SPACE_MB}`;

  it("keeps the server's own flags (a loader, a profiler) and adds the heap limit", () => {
    expect(workerExecArgv(["--import", "tsx", "--enable-source-maps"], undefined)).toEqual([
      "--import",
      "tsx",
      "--enable-source-maps",
      limit,
    ]);
    expect(workerExecArgv([], "")).toEqual([limit]);
  });

  it("leaves the limit to an operator who set one, in NODE_OPTIONS or on the command line, in any spelling", () => {
    for (const nodeOptions of ["--max-old-space-size=1024", "--trace-gc --max_old_space_size=512"]) {
      expect(workerExecArgv([], nodeOptions)).toEqual([]);
    }
    expect(workerExecArgv(["--max-old-space-size=2048"], undefined)).toEqual(["--max-old-space-size=2048"]);
  });

  it("is not fooled by a flag that only starts like it", () => {
    expect(workerExecArgv([], "--max-old-space-size-foo")).toEqual([limit]);
  });
});
