import { describe, expect, it } from "vitest";
import { createContextInner } from "../context";
import { handleMetrics } from "../http/metrics-handler";
import { createCaller } from "../root";
import { SYSTEM_ACTOR } from "../services/audit";
import { createToken } from "../services/tokens";
import { callerFor, createTestRuntime, seedUser } from "../testing/harness";
import { beatInstance, INSTANCE_SILENT_MS, storeOf } from "./instances";

/**
 * The fleet list (instances.ts) and the instance that answered: each
 * instance's beats make one row; one that stops beating shows as silent; the
 * Overview's procedure marks the instance that served it; the metrics name it.
 */
describe("instances of a fleet", () => {
  const self = (id: string, startedAt: Date) => ({
    id,
    workers: 2,
    store: "sqlite" as const,
    version: "9.9.9",
    startedAt,
  });

  it("lists every instance once, the silent one as silent, and marks the one that answered", async () => {
    const rt = createTestRuntime({ instanceId: "gh-b:3000" });
    const start = rt.clock.now();
    await beatInstance(rt.db, rt.clock, self("gh-a:3000", start));
    await beatInstance(rt.db, rt.clock, self("gh-b:3000", start));
    rt.clock.advance(INSTANCE_SILENT_MS + 1);
    await beatInstance(rt.db, rt.clock, self("gh-b:3000", start));
    await beatInstance(rt.db, rt.clock, self("gh-b:3000", start));

    const admin = await seedUser(rt, "admin@example.com", "admin");
    // As a request builds it: with the server's configuration, which names the instance.
    const asServed = createCaller(
      createContextInner({
        db: rt.db,
        clock: rt.clock,
        principal: admin.principal,
        keyring: rt.keyring,
        config: rt.config,
      }),
    );
    const fleet = await asServed.admin.overview.instances();
    expect(fleet.self).toBe("gh-b:3000");
    expect(fleet.instances.map((i) => [i.id, i.live])).toEqual([
      ["gh-b:3000", true],
      ["gh-a:3000", false],
    ]);
    expect(fleet.instances[0]).toMatchObject({ workers: 2, store: "sqlite", version: "9.9.9" });

    const member = await seedUser(rt, "member@example.com");
    await expect(callerFor(rt, member.principal).admin.overview.instances()).rejects.toThrow();
  });

  it("forgets an instance not heard from for a week", async () => {
    const rt = createTestRuntime();
    await beatInstance(rt.db, rt.clock, self("old:1", rt.clock.now()));
    rt.clock.advance(8 * 24 * 3_600_000);
    await beatInstance(rt.db, rt.clock, self("new:1", rt.clock.now()));
    const admin = await seedUser(rt, "admin@example.com", "admin");
    const fleet = await callerFor(rt, admin.principal).admin.overview.instances();
    expect(fleet.instances.map((i) => i.id)).toEqual(["new:1"]);
  });

  it("names the instance, its store and version in /api/metrics", async () => {
    const rt = createTestRuntime({ instanceId: "gh-c:3000" });
    const owner = await seedUser(rt, "scraper@example.com", "admin");
    const svc = {
      db: rt.db,
      clock: rt.clock,
      actor: SYSTEM_ACTOR,
      client: { ip: null, userAgent: null, requestId: "s" },
    };
    const { token } = await createToken(svc, owner.user.id, { name: "scraper", scopes: ["metrics:read"] });
    const res = await handleMetrics(
      new Request("http://localhost:3000/api/metrics", { headers: { authorization: `Bearer ${token}` } }),
      rt,
    );
    const text = await res.text();
    expect(text).toMatch(
      new RegExp(
        `^gatehouse_instance_info\\{instance="gh-c:3000",store="${storeOf(rt.db)}",version="[^"]+"\\} 1$`,
        "m",
      ),
    );
  });
});
