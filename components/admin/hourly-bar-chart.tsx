/**
 * An hourly (or, over a week, daily) bar chart drawn as plain SVG on the server, styled with Tailwind
 * classes only.
 *
 * Why not Recharts (which is installed): our CSP is `style-src 'self'
 * 'nonce-…'` without 'unsafe-inline', and that blocks inline style
 * ATTRIBUTES. Recharts writes them: rendered on the server, its
 * ResponsiveContainer is `<div style="width:100%;height:…">` and its wrapper
 * `<div style="position:relative;cursor:default;…">` (checked with
 * renderToString on recharts 3.10), and it sizes and positions its tooltip and
 * legend through style attributes. Under the CSP those are dropped, the
 * container measures 0×0 and the chart does not draw. Loosening the CSP with
 * 'unsafe-inline' for styles would weaken every page for one chart. An SVG of
 * a few dozen <rect>s needs no JavaScript, no style attribute, works with
 * JavaScript off, and its bars carry <title> tooltips natively.
 */
import { auditHref } from "./audit-filters";

const WIDTH = 720;
const HOUR_MS = 3_600_000;
const HEIGHT = 150;
const LEFT = 40;
const RIGHT = 8;
const TOP = 8;
const BOTTOM = 20;

export type ChartTone = "brand" | "amber" | "red" | "violet" | "rose";

// Written out in full so Tailwind's scanner sees every class.
const FILL: Record<ChartTone, string> = {
  brand: "fill-brand-500",
  amber: "fill-amber-500",
  red: "fill-red-600",
  violet: "fill-violet-500",
  rose: "fill-rose-500",
};

/** 1, 2, 5 × 10^n at or above the value, so the axis reads in round numbers. */
function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** One bar: its start (an ISO instant), its length and its count. */
interface Bucket {
  start: string;
  ms: number;
  value: number;
}

/**
 * Hours as they come for a day; a longer range (the 7-day view's 168 hours)
 * in UTC days, so a week reads as seven bars, not 168 hairlines.
 */
export function chartBuckets(hours: string[], values: number[]): { daily: boolean; buckets: Bucket[] } {
  const daily = values.length > 48;
  if (!daily) {
    return { daily, buckets: hours.map((start, i) => ({ start, ms: HOUR_MS, value: values[i] ?? 0 })) };
  }
  // A day at either end of the range is only its hours inside the range, so the bar's count and
  // the audit view it links to cover the same hours.
  const byDay = new Map<string, Bucket>();
  hours.forEach((hour, i) => {
    const day = hour.slice(0, 10);
    const bucket = byDay.get(day) ?? { start: hour, ms: 0, value: 0 };
    bucket.ms = new Date(hour).getTime() + HOUR_MS - new Date(bucket.start).getTime();
    bucket.value += values[i] ?? 0;
    byDay.set(day, bucket);
  });
  return { daily, buckets: [...byDay.values()] };
}

function bucketLabel(bucket: Bucket, daily: boolean): string {
  // UTC, like every time on the dashboard.
  return daily ? `${bucket.start.slice(0, 10)} (UTC day)` : `${bucket.start.slice(0, 13).replace("T", " ")}:00 UTC`;
}

export function HourlyBarChart({
  title,
  testId,
  hours,
  values,
  tone,
  auditFilters,
}: {
  title: string;
  testId: string;
  hours: string[];
  values: number[];
  tone: ChartTone;
  /** When given, each bar links to the audit entries of its hour (or day) with these filters. */
  auditFilters?: Record<string, string>;
}) {
  const { daily, buckets } = chartBuckets(hours, values);
  const total = buckets.reduce((a, b) => a + b.value, 0);
  const peak = Math.max(0, ...buckets.map((b) => b.value));
  const top = niceCeiling(peak);
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const band = plotW / Math.max(buckets.length, 1);
  const barW = Math.max(band * (daily ? 0.6 : 0.8), 1);
  const tickEvery = daily ? 1 : 6;
  const y = (v: number) => TOP + plotH - (v / top) * plotH;
  const unit = daily ? "day" : "hour";
  const summary = `${title}, per ${unit} (UTC): ${total} in total, at most ${peak} in one ${unit}.`;

  return (
    <figure data-testid={testId} data-total={total} data-unit={unit}>
      {/* An image has no interactive parts: with bars that link to the audit log the chart is a group
          (its summary kept as the label), so screen readers reach each bar's link. */}
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        className="h-auto w-full"
        role={auditFilters ? "group" : "img"}
        aria-label={summary}
      >
        <title>{summary}</title>
        {(Number.isInteger(top / 2) ? [0, top / 2, top] : [0, top]).map((v) => (
          <g key={v}>
            <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(v)} y2={y(v)} className="stroke-slate-200" />
            <text x={LEFT - 6} y={y(v) + 3} textAnchor="end" className="fill-slate-500 text-[10px]">
              {v}
            </text>
          </g>
        ))}
        {buckets.map((bucket, i) => {
          const v = bucket.value;
          if (!(v > 0)) return null;
          const bar = (
            <rect
              key={bucket.start}
              data-value={v}
              x={LEFT + i * band + (band - barW) / 2}
              y={y(v)}
              width={barW}
              height={Math.max(TOP + plotH - y(v), 1)}
              className={`${FILL[tone]}${auditFilters ? " hover:opacity-75" : ""}`}
            >
              <title>{`${bucketLabel(bucket, daily)}: ${v}`}</title>
            </rect>
          );
          if (!auditFilters) return bar;
          // The bar's entries: from its start to the next one's start (the filter's bounds are inclusive).
          const until = new Date(new Date(bucket.start).getTime() + bucket.ms).toISOString();
          return (
            <a
              key={bucket.start}
              href={auditHref({ ...auditFilters, since: bucket.start, until })}
              aria-label={`Audit entries of ${bucketLabel(bucket, daily)}`}
            >
              {bar}
            </a>
          );
        })}
        {buckets.map((bucket, i) =>
          i % tickEvery === 0 ? (
            <text
              key={bucket.start}
              x={LEFT + i * band + band / 2}
              y={HEIGHT - 6}
              textAnchor="middle"
              className="fill-slate-500 text-[10px]"
            >
              {daily ? bucket.start.slice(5, 10) : `${bucket.start.slice(11, 13)}:00`}
            </text>
          ) : null,
        )}
      </svg>
    </figure>
  );
}
