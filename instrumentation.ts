/**
 * Next.js calls this once per server process before serving requests. Under
 * Gatehouse's own server (scripts/server.mjs) the supervisor has prepared
 * everything already and each worker runs its background jobs itself
 * (server/serve/), so there is nothing to do here; only a bare `next start`
 * or `next dev` needs it.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs" && process.env.GATEHOUSE_SERVER !== "1") {
    const { startGatehouse } = await import("./server/startup");
    await startGatehouse();
  }
}
