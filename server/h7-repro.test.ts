import { it } from "vitest";
import fs from "node:fs"; import os from "node:os"; import path from "node:path";
import { openDatabase } from "@/db";
import { createTestRuntime, seedUser } from "@/server/testing/harness";
import { createToken } from "@/server/services/tokens";
import { SYSTEM_ACTOR } from "@/server/services/audit";
import { handleRest } from "@/server/http/rest-handler";
import { ALL_SCOPES } from "@/server/auth/scopes";
import { DEFAULT_RATE_LIMIT_CONFIG } from "@/server/ratelimit/config";
it("repro", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "x-"));
  const lenient = { limit: 10_000_000, windowMs: 60_000 };
  const base = createTestRuntime({ rateLimit: { ...DEFAULT_RATE_LIMIT_CONFIG, api: lenient, anon: lenient, sensitive: lenient } });
  for (const rt of [base, { ...base, db: openDatabase(path.join(dir, "g.db")) }]) {
  const u = await seedUser(rt, "a@example.com", "admin");
  const { token, id } = createToken({ db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "x" } }, u.user.id, { name: "x", scopes: ALL_SCOPES });
  const t0 = performance.now();
  for (let i = 0; i < 50; i++) {
    const r = await handleRest(new Request(`http://localhost:3000/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } }), rt);
    await r.text();
  }
  console.log("GET avg ms", (performance.now() - t0) / 50);
  const t1 = performance.now();
  for (let i = 0; i < 50; i++) {
    const r = await handleRest(new Request(`http://localhost:3000/api/v1/contacts`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "x", email: "a@b.example" }) }), rt);
    await r.text();
  }
  console.log("POST avg ms", (performance.now() - t1) / 50);
  const { id: other } = createToken({ db: rt.db, clock: rt.clock, actor: SYSTEM_ACTOR, client: { ip: null, userAgent: null, requestId: "x" } }, u.user.id, { name: "y", scopes: ALL_SCOPES });
  for (const body of [undefined, "", "{}"]) {
    const r = await handleRest(new Request(`http://localhost:3000/api/v1/tokens/${other}/revoke`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body }), rt);
    console.log("revoke", JSON.stringify(body), r.status, (await r.text()).slice(0, 200));
  }
  }
});
