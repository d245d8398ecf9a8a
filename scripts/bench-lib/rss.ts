import fs from "node:fs";

/**
 * Resident memory of a process tree, from /proc (Linux): the process, its
 * children, their children... (each thread's `children` file lists the
 * processes that thread forked), VmRSS of each from /proc/<pid>/status.
 * For the Gatehouse server that is the supervisor and all its workers.
 */

function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // gone
  }
  const out: number[] = [];
  for (const task of tasks) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) for (const child of text.split(/\s+/)) out.push(Number(child));
    } catch {
      // the thread ended in between
    }
  }
  return out;
}

/** The process and all its descendants that are alive now. */
export function processTree(root: number): number[] {
  const seen = new Set<number>();
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    queue.push(...childrenOf(pid));
  }
  return [...seen];
}

/** VmRSS of one process in bytes, 0 when it is gone. */
export function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Summed VmRSS of a whole process tree, and how many processes it counted. */
export function treeRss(root: number): { bytes: number; processes: number } {
  const pids = processTree(root);
  let bytes = 0;
  let processes = 0;
  for (const pid of pids) {
    const rss = rssOf(pid);
    if (rss > 0) {
      bytes += rss;
      processes++;
    }
  }
  return { bytes, processes };
}

/** Summed VmRSS of several process trees (the instances of a fleet, each with its workers). */
export function treesRss(roots: number[]): { bytes: number; processes: number } {
  let bytes = 0;
  let processes = 0;
  for (const root of roots) {
    const one = treeRss(root);
    bytes += one.bytes;
    processes += one.processes;
  }
  return { bytes, processes };
}

/**
 * Samples a tree's RSS (or the sum over several trees: every process of a
 * fleet at the same moment) every `everyMs` until stopped; reports the peak.
 */
export function sampleTreeRss(root: number | number[], everyMs = 200): () => { peakBytes: number; processes: number } {
  const roots = Array.isArray(root) ? root : [root];
  let peakBytes = 0;
  let processes = 0;
  const take = () => {
    const now = treesRss(roots);
    if (now.bytes > peakBytes) peakBytes = now.bytes;
    processes = Math.max(processes, now.processes);
  };
  take();
  const timer = setInterval(take, everyMs);
  return () => {
    clearInterval(timer);
    take();
    return { peakBytes, processes };
  };
}
