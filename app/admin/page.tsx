import type { Metadata } from "next";
import Link from "next/link";
import { actorFilterValue, auditHref, type PartyView } from "@/components/admin/audit-filters";
import { type ChartTone, HourlyBarChart } from "@/components/admin/hourly-bar-chart";
import { Party } from "@/components/admin/party";
import { PostureSummary } from "@/components/admin/posture-summary";
import { Card, formatTime, Table } from "@/components/ui";
import { requireAdmin, serverCaller } from "../_lib/session";

export const metadata: Metadata = { title: "Overview" };

const KIND_NAMES: Record<string, string> = { user: "user", token: "API token", oauth_client: "OAuth client" };

/** A counters' principal as the people component shows it (the overview resolves them like the audit list). */
function principalParty(p: {
  id: string;
  kind: string;
  label: string;
  email: string | null;
  userId: string | null;
  deleted: boolean;
}): PartyView {
  const kind = p.kind === "user" || p.kind === "token" || p.kind === "oauth_client" ? p.kind : "other";
  return { kind, id: p.id, label: p.label, email: p.email, name: null, userId: p.userId, deleted: p.deleted };
}

/**
 * Each chart with the audit entries behind it: the log records what was decided (refusals, failed
 * sign-ins, 429s), not every request, so "API requests" opens everything in that time.
 */
const CHARTS: Array<{
  metric: "requests" | "client_errors" | "server_errors" | "rate_limited" | "sign_in_failures";
  title: string;
  tone: ChartTone;
  audit: Record<string, string>;
}> = [
  { metric: "requests", title: "API requests", tone: "brand", audit: {} },
  { metric: "client_errors", title: "Client errors (4xx)", tone: "amber", audit: { outcome: "denied" } },
  { metric: "server_errors", title: "Server errors (5xx)", tone: "red", audit: { outcome: "failure" } },
  { metric: "rate_limited", title: "Rate limited (429)", tone: "violet", audit: { action: "ratelimit.rejected" } },
  { metric: "sign_in_failures", title: "Failed sign-ins", tone: "rose", audit: { action: "session.login_failed" } },
];

const RANGES = [
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
] as const;

/**
 * The admin landing page: traffic, errors, 429s and failed sign-ins per hour
 * from the counters the request pipeline keeps (not from the audit log),
 * the busiest principals and most rejected IPs, headline counts, and the
 * deployment posture's summary (linking to /admin/posture). Server
 * rendered, charts included (components/admin/hourly-bar-chart.tsx).
 */
export default async function AdminOverviewPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const principal = await requireAdmin();
  const range = (await searchParams).range === "7d" ? "7d" : "24h";
  const api = await serverCaller(principal);
  const [summary, traffic, recent, posture, fleet] = await Promise.all([
    api.admin.overview.summary(),
    api.admin.overview.traffic({ range }),
    api.admin.audit.list({ limit: 8 }),
    api.admin.posture.get(),
    api.admin.overview.instances(),
  ]);

  // The start of the charts' first hour: the tiles and charts that count "in this period" open the log from there.
  const since = traffic.hours[0] ?? "";
  const inRange = (filters: Record<string, string>) => auditHref(since ? { ...filters, since } : filters);
  // Every tile opens the audit entries behind its number.
  const tiles: Array<[string, number, string]> = [
    ["Active users", summary.activeUsers, inRange({ action: "session.login" })],
    ["Active sessions", traffic.activeSessions, inRange({ action: "session." })],
    ["Active API tokens", traffic.activeTokens, auditHref({ action: "token." })],
    ["Disabled users", summary.disabledUsers, auditHref({ action: "user.disable" })],
    ["Contacts stored", summary.contacts, auditHref({ action: "contact." })],
    [
      `Failed sign-ins (${range === "24h" ? "24 h" : "7 days"})`,
      traffic.totals.sign_in_failures,
      inRange({ action: "session.login_failed" }),
    ],
  ];

  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-4">
        <h1 className="text-xl font-semibold">Overview</h1>
        <nav aria-label="Time range" className="flex gap-1 rounded-md bg-white p-1 ring-1 ring-slate-200">
          {RANGES.map((r) => (
            <Link
              key={r.value}
              href={r.value === "24h" ? "/admin" : `/admin?range=${r.value}`}
              aria-current={r.value === range ? "page" : undefined}
              className={`rounded px-3 py-1 text-sm ${r.value === range ? "bg-brand-600 text-white" : "text-slate-700 hover:bg-slate-100"}`}
            >
              {r.label}
            </Link>
          ))}
        </nav>
      </div>

      <div className="grid grid-cols-2 gap-4 md:grid-cols-3">
        {tiles.map(([label, value, href]) => (
          <Link
            key={label}
            href={href}
            className="rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200 hover:ring-brand-500"
          >
            <div className="text-sm text-slate-500">{label}</div>
            <div className="mt-1 text-2xl font-semibold tabular-nums" data-testid={`tile-${label}`}>
              {value}
            </div>
          </Link>
        ))}
      </div>

      <PostureSummary report={posture} />

      <div className="grid gap-4 lg:grid-cols-2">
        {CHARTS.map((chart) => (
          <Card
            key={chart.metric}
            title={chart.title}
            actions={
              <Link
                href={inRange(chart.audit)}
                className="text-sm tabular-nums text-slate-500 hover:text-brand-700 hover:underline"
                data-testid={`chart-link-${chart.metric}`}
              >
                {traffic.totals[chart.metric]} {range === "24h" ? "in 24 h" : "in 7 days"} →
              </Link>
            }
          >
            <HourlyBarChart
              title={chart.title}
              testId={`chart-${chart.metric}`}
              hours={traffic.hours}
              values={traffic.series[chart.metric]}
              tone={chart.tone}
              auditFilters={chart.audit}
            />
          </Card>
        ))}
      </div>

      <div className="grid gap-4 lg:grid-cols-2">
        <Card title="Most active principals">
          {traffic.topPrincipals.length === 0 ? (
            <p className="text-sm text-slate-500">No authenticated API requests in this period.</p>
          ) : (
            <Table head={["Who", "Kind", "Requests"]}>
              {traffic.topPrincipals.map((p) => (
                <tr key={p.id} data-testid="top-principal">
                  <td className="px-3 py-2">
                    <Party party={principalParty(p)} showKind={false} />
                  </td>
                  <td className="px-3 py-2 text-slate-600">{KIND_NAMES[p.kind] ?? p.kind}</td>
                  <td className="px-3 py-2 tabular-nums">{p.count}</td>
                </tr>
              ))}
            </Table>
          )}
        </Card>
        <Card title="Most rejected IP addresses">
          {traffic.topRejectedIps.length === 0 ? (
            <p className="text-sm text-slate-500">No 401, 403 or 429 answers in this period.</p>
          ) : (
            <Table head={["IP address", "Refused (401/403/429)"]}>
              {traffic.topRejectedIps.map((r) => (
                <tr key={r.ip} data-testid="top-rejected-ip">
                  <td className="px-3 py-2 font-mono text-xs">
                    <Link href={`/admin/audit?ip=${encodeURIComponent(r.ip)}`} className="hover:underline">
                      {r.ip}
                    </Link>
                  </td>
                  <td className="px-3 py-2 tabular-nums">{r.count}</td>
                </tr>
              ))}
            </Table>
          )}
        </Card>
      </div>

      <Card title="Instances">
        <p className="mb-2 text-sm text-slate-500" data-testid="instance-self">
          This page was served by <span className="font-mono">{fleet.self ?? "this instance"}</span>. Traffic figures
          are this database's, from every instance.
        </p>
        <Table
          head={["Instance", "Status", "Store", "Workers", "Version", "Started", "Last heard"]}
          empty={
            fleet.instances.length === 0 ? (
              <p className="px-3 py-2 text-sm text-slate-500">
                No instance has reported yet (each does at start, then every 15 s).
              </p>
            ) : null
          }
        >
          {fleet.instances.map((i) => (
            <tr key={i.id} data-testid="instance-row">
              <td className="px-3 py-2 font-mono text-xs">
                {i.id}
                {i.id === fleet.self ? <span className="ml-2 text-slate-500">(this one)</span> : null}
              </td>
              <td className={`px-3 py-2 ${i.live ? "text-emerald-700" : "text-red-700"}`}>
                {i.live ? "serving" : "silent"}
              </td>
              <td className="px-3 py-2">{i.store === "postgres" ? "PostgreSQL" : "SQLite"}</td>
              <td className="px-3 py-2 tabular-nums">{i.workers}</td>
              <td className="px-3 py-2 font-mono text-xs">{i.version}</td>
              <td className="px-3 py-2 font-mono text-xs text-slate-500">{formatTime(i.startedAt)}</td>
              <td className="px-3 py-2 font-mono text-xs text-slate-500">{formatTime(i.lastSeenAt)}</td>
            </tr>
          ))}
        </Table>
      </Card>

      <Card
        title="Latest activity"
        actions={
          <Link href="/admin/audit" className="text-sm text-brand-600 hover:underline">
            Audit log →
          </Link>
        }
      >
        <ul className="divide-y divide-slate-100 text-sm">
          {recent.items.map((e) => (
            <li key={e.id} className="flex flex-wrap gap-x-3 py-1.5">
              <span className="font-mono text-xs text-slate-500">{e.at.replace("T", " ").slice(0, 19)}</span>
              <span className="font-medium">{e.action}</span>
              <span className="text-slate-600" data-testid="recent-actor">
                {actorFilterValue(e.actor) ? (
                  <Link
                    href={auditHref({ actorId: actorFilterValue(e.actor) ?? "" })}
                    title={e.actor.id ?? undefined}
                    className="hover:underline"
                  >
                    {e.actor.label}
                  </Link>
                ) : (
                  e.actor.label
                )}
              </span>
              {e.outcome !== "success" ? <span className="text-red-700">{e.outcome}</span> : null}
            </li>
          ))}
        </ul>
      </Card>
    </>
  );
}
