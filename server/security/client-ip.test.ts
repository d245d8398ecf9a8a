import { describe, expect, it } from "vitest";
import {
  isTrusted,
  normalizeIp,
  PEER_HEADER,
  PEER_STAMP_HEADER,
  PEER_TLS_HEADER,
  parseTrustedProxies,
  readPeer,
  resolveClient,
} from "./client-ip";

const SECRET = "per-process-stamp-secret-0123456789abcdef";

/** Headers as scripts/server.mjs stamps them for a connection from `peer`, plus whatever the client sent. */
function stamped(peer: string, extra: Record<string, string> = {}, opts: { tls?: boolean; stamp?: string } = {}) {
  return new Headers({
    [PEER_HEADER]: peer,
    [PEER_TLS_HEADER]: opts.tls ? "1" : "0",
    [PEER_STAMP_HEADER]: opts.stamp ?? SECRET,
    ...extra,
  });
}

function resolve(headers: Headers, trustedEntries: string[]) {
  return resolveClient(headers, parseTrustedProxies(trustedEntries), readPeer(headers, SECRET));
}

describe("readPeer", () => {
  it("believes a stamp equal to the secret", () => {
    expect(readPeer(stamped("203.0.113.5", {}, { tls: true }), SECRET)).toEqual({ peer: "203.0.113.5", tls: true });
    expect(readPeer(stamped("203.0.113.5"), SECRET)).toEqual({ peer: "203.0.113.5", tls: false });
  });

  it("ignores the peer headers when the stamp is wrong, missing, of another length, or no secret is configured", () => {
    const unknown = { peer: null, tls: false };
    expect(readPeer(stamped("203.0.113.5", {}, { tls: true, stamp: `${SECRET.slice(0, -1)}X` }), SECRET)).toEqual(
      unknown,
    );
    expect(readPeer(stamped("203.0.113.5", {}, { tls: true, stamp: "short" }), SECRET)).toEqual(unknown);
    expect(readPeer(stamped("203.0.113.5", {}, { tls: true, stamp: `${SECRET}extra` }), SECRET)).toEqual(unknown);
    expect(
      readPeer(new Headers({ [PEER_HEADER]: "203.0.113.5", [PEER_TLS_HEADER]: "1" }), SECRET),
      "no stamp header",
    ).toEqual(unknown);
    // No secret configured: nothing a client sends can be believed, even an empty stamp.
    expect(readPeer(stamped("203.0.113.5", {}, { tls: true, stamp: "" }), "")).toEqual(unknown);
    expect(readPeer(stamped("203.0.113.5", {}, { tls: true }), "")).toEqual(unknown);
  });

  it("normalizes the stamped address and drops a malformed one", () => {
    expect(readPeer(stamped("::ffff:198.51.100.9"), SECRET).peer).toBe("198.51.100.9");
    expect(readPeer(stamped("2001:DB8:0:0::1"), SECRET).peer).toBe("2001:db8::1");
    expect(readPeer(stamped("not-an-ip"), SECRET).peer).toBeNull();
  });

  it("only takes TLS from the exact value 1", () => {
    const h = stamped("203.0.113.5");
    h.set(PEER_TLS_HEADER, "true");
    expect(readPeer(h, SECRET).tls).toBe(false);
  });
});

describe("normalizeIp", () => {
  it("canonicalizes v4, v6 and v4-mapped v6, and rejects anything else", () => {
    expect(normalizeIp(" 192.0.2.1 ")).toBe("192.0.2.1");
    expect(normalizeIp("2001:0db8:0000:0000:0000:0000:0000:0001")).toBe("2001:db8::1");
    expect(normalizeIp("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeIp("::ffff:c000:201")).toBe("192.0.2.1");
    for (const bad of [null, undefined, "", "unknown", "192.0.2.1:8080", "[2001:db8::1]", "999.1.1.1", "_hidden"]) {
      expect(normalizeIp(bad), String(bad)).toBeNull();
    }
  });

  it("rejects non-canonical IPv4 spellings instead of reinterpreting them (octal, hex, short forms)", () => {
    // inet_aton-style forms: "010.0.0.1" would be read as octal 8.0.0.1, "1234" as 0.0.4.210.
    for (const odd of ["010.0.0.1", "0x0a.0.0.1", "10.1", "1234"]) {
      expect(normalizeIp(odd), odd).toBeNull();
    }
  });

  it("answers the same when asked again (remembered), past the memory's bound, and for junk too long to keep", () => {
    const cases: Array<[string, string | null]> = [
      ["::ffff:192.0.2.1", "192.0.2.1"],
      ["010.0.0.1", null],
      [" 192.0.2.7 ", "192.0.2.7"],
      [`${"1".repeat(70)}`, null],
      [` ${"0".repeat(80)}192.0.2.1`, null],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [input, expected] of cases) expect(normalizeIp(input), input).toBe(expected);
      // Fill the memory past its bound between rounds: answers do not change when it is emptied.
      for (let i = 0; i < 5_000; i++) normalizeIp(`10.${(i >> 8) & 255}.${i & 255}.${round}`);
    }
    expect(normalizeIp("10.0.19.2")).toBe("10.0.19.2");
  });
});

describe("resolveClient", () => {
  const proxies = ["10.0.0.0/8"];

  it("with no believable peer, knows neither the IP nor TLS, whatever forwarded headers say", () => {
    const h = new Headers({ "x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https" });
    expect(resolveClient(h, parseTrustedProxies(proxies), readPeer(h, SECRET))).toEqual({ ip: null, https: false });
    // A forged stamp is the same as none.
    const forged = stamped(
      "10.0.0.1",
      { "x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https" },
      {
        stamp: "guess",
      },
    );
    expect(resolve(forged, proxies)).toEqual({ ip: null, https: false });
  });

  it("ignores X-Forwarded-For and X-Forwarded-Proto from an untrusted peer (spoofing)", () => {
    const h = stamped("203.0.113.5", { "x-forwarded-for": "198.51.100.7, 10.0.0.2", "x-forwarded-proto": "https" });
    expect(resolve(h, proxies)).toEqual({ ip: "203.0.113.5", https: false });
    // Nothing is trusted when no proxies are configured, not even loopback.
    const local = stamped("127.0.0.1", { "x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https" });
    expect(resolve(local, [])).toEqual({ ip: "127.0.0.1", https: false });
  });

  it("keeps the direct TLS fact of an untrusted peer", () => {
    const h = stamped("203.0.113.5", { "x-forwarded-proto": "http" }, { tls: true });
    expect(resolve(h, proxies)).toEqual({ ip: "203.0.113.5", https: true });
  });

  it("walks X-Forwarded-For from the right through trusted hops and stops at the first untrusted one", () => {
    const h = stamped("10.0.0.1", {
      // 1.1.1.1 and 192.0.2.66 were written by the client; 198.51.100.7 is what our first proxy saw.
      "x-forwarded-for": "1.1.1.1, 192.0.2.66, 198.51.100.7, 10.0.0.3, 10.0.0.2",
      "x-forwarded-proto": "https",
    });
    expect(resolve(h, proxies)).toEqual({ ip: "198.51.100.7", https: true });
  });

  it("uses the left-most hop when every hop is a trusted proxy, and the peer when there is no header", () => {
    expect(resolve(stamped("10.0.0.1", { "x-forwarded-for": "10.9.9.9,10.0.0.2" }), proxies).ip).toBe("10.9.9.9");
    expect(resolve(stamped("10.0.0.1"), proxies)).toEqual({ ip: "10.0.0.1", https: false });
    expect(resolve(stamped("10.0.0.1", { "x-forwarded-for": "" }), proxies).ip).toBe("10.0.0.1");
  });

  it("stops at a malformed hop and keeps the last good address", () => {
    expect(resolve(stamped("10.0.0.1", { "x-forwarded-for": "198.51.100.7, garbage" }), proxies).ip).toBe("10.0.0.1");
    expect(resolve(stamped("10.0.0.1", { "x-forwarded-for": "198.51.100.7, 1.2.3.4:99, 10.0.0.2" }), proxies).ip).toBe(
      "10.0.0.2",
    );
    expect(resolve(stamped("10.0.0.1", { "x-forwarded-for": "198.51.100.7,,10.0.0.2" }), proxies).ip).toBe("10.0.0.2");
  });

  it("takes the last X-Forwarded-Proto value, the one our proxy appended", () => {
    expect(resolve(stamped("10.0.0.1", { "x-forwarded-proto": "http, https" }), proxies).https).toBe(true);
    expect(resolve(stamped("10.0.0.1", { "x-forwarded-proto": "https, http" }), proxies).https).toBe(false);
    expect(resolve(stamped("10.0.0.1", { "x-forwarded-proto": "HTTPS" }), proxies).https).toBe(true);
    expect(resolve(stamped("10.0.0.1", { "x-forwarded-proto": "http" }, { tls: true }), proxies).https).toBe(true);
  });

  it("matches CIDR ranges exactly at their edges", () => {
    const ranges = ["192.168.10.0/24"];
    expect(resolve(stamped("192.168.10.255", { "x-forwarded-for": "198.51.100.7" }), ranges).ip).toBe("198.51.100.7");
    expect(resolve(stamped("192.168.11.0", { "x-forwarded-for": "198.51.100.7" }), ranges).ip).toBe("192.168.11.0");
    // A single address trusts exactly that address.
    expect(resolve(stamped("192.0.2.10", { "x-forwarded-for": "198.51.100.7" }), ["192.0.2.10"]).ip).toBe(
      "198.51.100.7",
    );
    expect(resolve(stamped("192.0.2.11", { "x-forwarded-for": "198.51.100.7" }), ["192.0.2.10"]).ip).toBe("192.0.2.11");
  });

  it("handles IPv6 proxies and clients", () => {
    const v6 = ["2001:db8::/32", "::1"];
    expect(resolve(stamped("2001:db8:1::5", { "x-forwarded-for": "2606:4700:0:0::1111, 2001:db8:2::1" }), v6).ip).toBe(
      "2606:4700::1111",
    );
    expect(resolve(stamped("::1", { "x-forwarded-for": "198.51.100.7" }), v6).ip).toBe("198.51.100.7");
    expect(resolve(stamped("2001:db9::1", { "x-forwarded-for": "198.51.100.7" }), v6).ip).toBe("2001:db9::1");
    // An IPv4 range never matches an IPv6 address and the other way round.
    expect(resolve(stamped("2001:db8::1", { "x-forwarded-for": "198.51.100.7" }), ["10.0.0.0/8"]).ip).toBe(
      "2001:db8::1",
    );
  });

  it("treats IPv4-mapped IPv6 addresses as the IPv4 address they carry", () => {
    const h = stamped("::ffff:10.0.0.1", { "x-forwarded-for": "::ffff:203.0.113.9, ::ffff:10.0.0.2" });
    expect(resolve(h, proxies)).toEqual({ ip: "203.0.113.9", https: false });
    expect(isTrusted("10.1.2.3", parseTrustedProxies(proxies))).toBe(true);
    expect(isTrusted(null, parseTrustedProxies(proxies))).toBe(false);
  });
});

describe("parseTrustedProxies", () => {
  it("reads addresses and CIDR ranges", () => {
    const parsed = parseTrustedProxies(["10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "::1"]);
    expect(parsed.map(([addr, bits]) => `${addr.toString()}/${bits}`)).toEqual([
      "10.0.0.0/8",
      "192.0.2.1/32",
      "2001:db8::/32",
      "::1/128",
    ]);
  });

  it("throws an error naming the bad entry", () => {
    for (const bad of ["bogus", "10.0.0.0/33", "1.2.3.4/", "2001:db8::/129", "10.0.0.0/8/8", "300.1.1.1"]) {
      expect(() => parseTrustedProxies(["10.0.0.0/8", bad]), bad).toThrow(`TRUSTED_PROXIES: "${bad}"`);
    }
  });

  it("refuses non-canonical IPv4 spellings rather than trusting another address than the one meant", () => {
    // "010.0.0.1" would otherwise silently trust 8.0.0.1; "10.1" would trust 10.0.0.1.
    for (const odd of ["010.0.0.1", "0x0a.0.0.1", "10.1", "167772161"]) {
      expect(() => parseTrustedProxies([odd]), odd).toThrow(`TRUSTED_PROXIES: "${odd}"`);
    }
  });
});
