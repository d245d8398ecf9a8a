import { describe, expect, it } from "vitest";
import { chartBuckets } from "./hourly-bar-chart";

const HOUR = 3_600_000;
const hoursFrom = (startIso: string, n: number) =>
  Array.from({ length: n }, (_, i) => new Date(new Date(startIso).getTime() + i * HOUR).toISOString());

describe("chartBuckets", () => {
  it("keeps a day's 24 hours as hourly bars", () => {
    const hours = hoursFrom("2026-12-01T00:00:00.000Z", 24);
    const { daily, buckets } = chartBuckets(
      hours,
      hours.map(() => 1),
    );
    expect(daily).toBe(false);
    expect(buckets).toHaveLength(24);
    expect(buckets.every((b) => b.ms === HOUR && b.value === 1)).toBe(true);
  });

  it("folds a week of hours into UTC days, the days at the ends cut to the range, nothing lost", () => {
    const hours = hoursFrom("2026-11-24T17:00:00.000Z", 168);
    const values = hours.map((_, i) => i % 5);
    const { daily, buckets } = chartBuckets(hours, values);
    expect(daily).toBe(true);
    expect(buckets).toHaveLength(8);
    expect(buckets.reduce((a, b) => a + b.value, 0)).toBe(values.reduce((a, b) => a + b, 0));
    expect(buckets[0]).toMatchObject({ start: "2026-11-24T17:00:00.000Z", ms: 7 * HOUR });
    expect(buckets[1]).toMatchObject({ start: "2026-11-25T00:00:00.000Z", ms: 24 * HOUR });
    const last = buckets[7];
    expect(last?.start).toBe("2026-12-01T00:00:00.000Z");
    expect(last?.ms).toBe(17 * HOUR);
    // Together the bars cover the range exactly, without gaps or overlaps.
    expect(buckets.reduce((a, b) => a + b.ms, 0)).toBe(168 * HOUR);
  });
});
