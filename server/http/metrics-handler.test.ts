import { beforeEach, describe, expect, it } from "vitest";
import type { Scope } from "../auth/scopes";
import { signInWithPassword } from "../auth/sign-in";
import { resetMetrics } from "../observability/metrics";
import { SYSTEM_ACTOR } from "../services/audit";
import { createToken } from "../services/tokens";
import { createTestRuntime, seedUser, type TestRuntime } from "../testing/harness";
import { handleMetrics } from "./metrics-handler";
import { handleRest } from "./rest-handler";

let rt: TestRuntime;
beforeEach(() => {
  rt = createTestRuntime();
  resetMetrics();
});

async function tokenFor(role: "admin" | "member", scopes: Scope[]) {
  const owner = await seedUser(rt, `${role}-${Math.random().toString(36).slice(2, 8)}@example.com`, role);
  const svc = {
    db: rt.db,
    clock: rt.clock,
    actor: SYSTEM_ACTOR,
    client: { ip: null, userAgent: null, requestId: "s" },
  };
  return (await createToken(svc, owner.user.id, { name: "scraper", scopes })).token;
}

const scrape = (headers: Record<string, string> = {}, runtime: TestRuntime = rt) =>
  handleMetrics(new Request("http://localhost:3000/api/metrics", { headers }), runtime);

describe("GET /api/metrics", () => {
  it("serves the Prometheus text format to a token with metrics:read", async () => {
    const token = await tokenFor("admin", ["metrics:read"]);
    await handleRest(new Request("http://localhost:3000/api/v1/contacts"), rt); // one 401 to count
    await signInWithPassword(
      rt,
      { email: "nobody@example.com", password: "wrong password!" },
      {
        ip: null,
        userAgent: null,
        requestId: "r",
      },
    );

    const res = await scrape({ authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const text = await res.text();
    expect(text).toContain('gatehouse_http_requests_total{door="rest",route="GET /contacts",status="401"} 1');
    expect(text).toContain(
      'gatehouse_http_request_duration_seconds_bucket{door="rest",route="GET /contacts",le="+Inf"} 1',
    );
    expect(text).toContain("# TYPE gatehouse_rate_limit_rejections_total counter");
    expect(text).toContain("gatehouse_sign_in_failures_total 1");
    expect(text).toMatch(/^gatehouse_active_sessions \d+$/m);
    expect(text).toMatch(/^gatehouse_active_tokens 1$/m);
    // Every line is a comment or `name{labels} value`.
    for (const line of text.trimEnd().split("\n")) {
      expect(line).toMatch(/^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[^}]*\})? -?[0-9.e+]+)$/);
    }
  });

  it("refuses without a token (401), and a token without the scope (403 insufficient_scope)", async () => {
    const anonymous = await scrape();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse"');
    expect(await anonymous.text()).not.toContain("gatehouse_http");

    const adminWithoutScope = await tokenFor("admin", ["admin"]);
    const refused = await scrape({ authorization: `Bearer ${adminWithoutScope}` });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("www-authenticate")).toContain('error="insufficient_scope", scope="metrics:read"');

    const invalid = await scrape({ authorization: `Bearer gth_${"x".repeat(49)}` });
    expect(invalid.status).toBe(401);
    expect(invalid.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("never grants metrics:read to a member's token, and the scope opens nothing else", async () => {
    await expect(tokenFor("member", ["metrics:read"])).rejects.toThrow();
    const scraperToken = await tokenFor("admin", ["metrics:read"]);
    const contacts = await handleRest(
      new Request("http://localhost:3000/api/v1/contacts", { headers: { authorization: `Bearer ${scraperToken}` } }),
      rt,
    );
    expect(contacts.status).toBe(403);
  });

  it("is a 404 when METRICS_ENABLED=false", async () => {
    const off = createTestRuntime({ observability: { auditRetentionDays: 365, metricsEnabled: false } });
    expect((await scrape({}, off)).status).toBe(404);
  });
});
