/**
 * Process-local metrics in the Prometheus text exposition format (v0.0.4),
 * served at GET /api/metrics (server/http/metrics-handler.ts). Like every
 * Prometheus client, each process counts its own requests; a scraper that
 * scrapes every instance adds them up. Written out here (a few dozen lines)
 * rather than pulling in a client library.
 *
 * Label values come from a closed set (door, a known route template or
 * procedure name, a status code), never from raw URLs, so a client cannot
 * grow the number of series; MAX_SERIES is a second guard all the same.
 */
import { processSingleton } from "./process-singleton";

type LabelValues = readonly string[];

const MAX_SERIES = 5_000;
const OVERFLOW = "(other)";

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(names: readonly string[], values: LabelValues, extra = ""): string {
  const parts = names.map((name, i) => `${name}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(extra);
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

abstract class Metric<S> {
  protected readonly series = new Map<string, { values: LabelValues; state: S }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  protected stateFor(values: LabelValues, create: () => S): S {
    let key = values.join("\u0000");
    if (!this.series.has(key) && this.series.size >= MAX_SERIES) {
      values = values.map(() => OVERFLOW);
      key = values.join("\u0000");
    }
    let entry = this.series.get(key);
    if (!entry) {
      entry = { values, state: create() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  reset(): void {
    this.series.clear();
  }

  /** This process's series as plain data, to send to another process (cluster-metrics.ts). */
  snapshot(): Array<[LabelValues, S]> {
    return [...this.series.values()].map(({ values, state }) => [values, structuredClone(state)]);
  }

  /** Adds another process's series to these. */
  absorb(series: Array<[LabelValues, S]>): void {
    for (const [values, state] of series)
      this.add(
        this.stateFor(values, () => this.empty()),
        state,
      );
  }

  protected abstract empty(): S;
  protected abstract add(into: S, from: S): void;
  abstract render(): string;
}

export class Counter extends Metric<{ n: number }> {
  protected empty() {
    return { n: 0 };
  }

  protected add(into: { n: number }, from: { n: number }) {
    into.n += from.n;
  }

  inc(values: LabelValues = [], by = 1): void {
    this.stateFor(values, () => ({ n: 0 })).n += by;
  }

  value(values: LabelValues = []): number {
    return this.series.get(values.join("\u0000"))?.state.n ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.series.size === 0 && this.labelNames.length === 0) lines.push(`${this.name} 0`);
    for (const { values, state } of this.series.values()) {
      lines.push(`${this.name}${labelText(this.labelNames, values)} ${state.n}`);
    }
    return lines.join("\n");
  }
}

export class Histogram extends Metric<{ counts: number[]; sum: number; count: number }> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames);
  }

  protected empty() {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }

  protected add(into: { counts: number[]; sum: number; count: number }, from: typeof into) {
    from.counts.forEach((n, i) => {
      into.counts[i] = (into.counts[i] ?? 0) + n;
    });
    into.sum += from.sum;
    into.count += from.count;
  }

  observe(values: LabelValues, value: number): void {
    const state = this.stateFor(values, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    this.buckets.forEach((upper, i) => {
      if (value <= upper) state.counts[i] = (state.counts[i] ?? 0) + 1;
    });
    state.sum += value;
    state.count += 1;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { values, state } of this.series.values()) {
      this.buckets.forEach((upper, i) => {
        lines.push(`${this.name}_bucket${labelText(this.labelNames, values, `le="${upper}"`)} ${state.counts[i]}`);
      });
      lines.push(`${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${state.count}`);
      lines.push(`${this.name}_sum${labelText(this.labelNames, values)} ${state.sum}`);
      lines.push(`${this.name}_count${labelText(this.labelNames, values)} ${state.count}`);
    }
    return lines.join("\n");
  }
}

function newMetrics() {
  return {
    requests: new Counter("gatehouse_http_requests_total", "API requests answered, by door, route and status.", [
      "door",
      "route",
      "status",
    ]),
    duration: new Histogram(
      "gatehouse_http_request_duration_seconds",
      "Time to answer an API request (until the response starts), by door and route.",
      ["door", "route"],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
    rateLimited: new Counter(
      "gatehouse_rate_limit_rejections_total",
      "API requests refused with 429 Too Many Requests, by door and route.",
      ["door", "route"],
    ),
    signInFailures: new Counter("gatehouse_sign_in_failures_total", "Failed password sign-ins.", []),
    sealedValueFailures: new Counter(
      "gatehouse_sealed_value_failures_total",
      "Stored sealed values that did not open while serving a request, by table and reason (authentication_failed, malformed, unknown_key).",
      ["table", "reason"],
    ),
  };
}

type MetricSet = ReturnType<typeof newMetrics>;

/** What Gatehouse measures (one set per process, see process-singleton.ts). */
export const METRICS = processSingleton("metrics", newMetrics);

/** One process's counts, as plain data (structured-clonable, for IPC between workers). */
export type MetricsSnapshot = { [K in keyof MetricSet]: ReturnType<MetricSet[K]["snapshot"]> };

export function snapshotMetrics(): MetricsSnapshot {
  const out = {} as Record<string, unknown>;
  for (const [name, metric] of Object.entries(METRICS)) out[name] = metric.snapshot();
  return out as MetricsSnapshot;
}

export interface Gauge {
  name: string;
  help: string;
  value: number;
  labels?: Record<string, string>;
}

/**
 * The whole exposition: every metric above, summed over the given snapshots
 * (one per worker process; this process's alone by default), then
 * point-in-time gauges read at scrape time.
 */
export function renderMetrics(
  snapshots: readonly MetricsSnapshot[] = [snapshotMetrics()],
  gauges: readonly Gauge[] = [],
): string {
  const sum = newMetrics();
  for (const snapshot of snapshots) {
    for (const [name, metric] of Object.entries(sum)) {
      (metric as Metric<unknown>).absorb((snapshot as Record<string, Array<[LabelValues, unknown]>>)[name] ?? []);
    }
  }
  const blocks = Object.values(sum).map((metric) => metric.render());
  for (const gauge of gauges) {
    const labels = gauge.labels ? labelText(Object.keys(gauge.labels), Object.values(gauge.labels)) : "";
    blocks.push(
      `# HELP ${gauge.name} ${gauge.help}\n# TYPE ${gauge.name} gauge\n${gauge.name}${labels} ${gauge.value}`,
    );
  }
  return `${blocks.join("\n")}\n`;
}

/** Tests start from zero. */
export function resetMetrics(): void {
  for (const metric of Object.values(METRICS)) metric.reset();
}
