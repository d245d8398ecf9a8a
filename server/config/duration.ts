const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "30m", "8h", "90d", "500ms" into milliseconds; null when malformed. */
export function parseDuration(input: string): number | null {
  const match = /^(\d{1,9})(ms|s|m|h|d)$/.exec(input.trim());
  if (!match) return null;
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

/** Formats milliseconds in the largest unit that divides it exactly. */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = UNITS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
