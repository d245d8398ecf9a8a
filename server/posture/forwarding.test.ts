import { afterEach, describe, expect, it, vi } from "vitest";
import { PEER_HEADER, PEER_STAMP_ENV, PEER_STAMP_HEADER, parseTrustedProxies } from "../security/client-ip";
import { FORWARDING_MEMORY_MS, forgetForwarding, forwardingSeen, noteForwarding } from "./forwarding";

/** The sighting of forwarding headers from untrusted peers that the trusted-proxies rule reads. */

const STAMP = "forwarding-test-stamp";
const at = (ms: number) => new Date(Date.UTC(2026, 11, 1) + ms);
/** Headers as the front passes them on: the real peer stamped with the per-process secret. */
const fromPeer = (peer: string, extra: Record<string, string>) =>
  new Headers({ [PEER_HEADER]: peer, [PEER_STAMP_HEADER]: STAMP, ...extra });

afterEach(() => {
  forgetForwarding();
  vi.unstubAllEnvs();
});

describe("noteForwarding", () => {
  it("remembers forwarding headers from a peer outside TRUSTED_PROXIES, names only, and counts them", () => {
    vi.stubEnv(PEER_STAMP_ENV, STAMP);
    const trusted = parseTrustedProxies(["10.0.0.5"]);
    noteForwarding(fromPeer("10.9.9.9", { "x-forwarded-for": "203.0.113.7" }), trusted, at(0));
    noteForwarding(fromPeer("10.9.9.9", { "x-forwarded-proto": "https", "x-real-ip": "1.2.3.4" }), trusted, at(1000));
    const seen = forwardingSeen(at(2000));
    expect(seen).toEqual({ peer: "10.9.9.9", headers: ["x-forwarded-proto", "x-real-ip"], lastAt: at(1000), count: 2 });
    expect(JSON.stringify(seen)).not.toContain("203.0.113.7");
  });

  it("ignores requests without forwarding headers, and those from a trusted proxy", () => {
    vi.stubEnv(PEER_STAMP_ENV, STAMP);
    const trusted = parseTrustedProxies(["10.0.0.0/24"]);
    noteForwarding(fromPeer("10.9.9.9", { "user-agent": "curl" }), trusted, at(0));
    noteForwarding(fromPeer("10.0.0.5", { "x-forwarded-for": "203.0.113.7" }), trusted, at(0));
    expect(forwardingSeen(at(1))).toBeNull();
  });

  it("counts a forged stamp as an unknown peer, never as the trusted proxy it names", () => {
    vi.stubEnv(PEER_STAMP_ENV, STAMP);
    const trusted = parseTrustedProxies(["10.0.0.5"]);
    const forged = new Headers({
      [PEER_HEADER]: "10.0.0.5",
      [PEER_STAMP_HEADER]: "guess",
      "x-forwarded-for": "1.1.1.1",
    });
    noteForwarding(forged, trusted, at(0));
    expect(forwardingSeen(at(1))).toMatchObject({ peer: null, headers: ["x-forwarded-for"] });
  });

  it("forgets a sighting after a day, and starts counting again", () => {
    vi.stubEnv(PEER_STAMP_ENV, STAMP);
    const headers = fromPeer("10.9.9.9", { forwarded: "for=1.2.3.4" });
    noteForwarding(headers, [], at(0));
    expect(forwardingSeen(at(FORWARDING_MEMORY_MS - 1))).not.toBeNull();
    expect(forwardingSeen(at(FORWARDING_MEMORY_MS))).toBeNull();
    noteForwarding(headers, [], at(FORWARDING_MEMORY_MS + 5));
    expect(forwardingSeen(at(FORWARDING_MEMORY_MS + 6))?.count).toBe(1);
  });
});
