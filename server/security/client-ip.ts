import { timingSafeEqual } from "node:crypto";
import ipaddr from "ipaddr.js";

/**
 * Who is on the other end of the connection, and over what.
 *
 * Next.js route handlers are not given the socket, and Next copies a
 * client-sent `X-Forwarded-For`/`X-Forwarded-Proto` through unchanged, so
 * neither can be trusted as they arrive. Gatehouse's own HTTP server
 * (scripts/server.mjs) therefore removes any incoming `x-gatehouse-peer*`
 * headers and stamps the real socket address and TLS state, together with a
 * per-process secret that a client cannot know. Only a stamp carrying that
 * secret is believed; without it the peer is unknown and the request is
 * treated as plain HTTP from an untrusted address (failing closed).
 */
export const PEER_HEADER = "x-gatehouse-peer";
export const PEER_TLS_HEADER = "x-gatehouse-peer-tls";
export const PEER_STAMP_HEADER = "x-gatehouse-peer-stamp";
export const PEER_STAMP_ENV = "GATEHOUSE_PEER_STAMP";

export interface PeerFacts {
  /** Socket address of the direct peer, or null when unknown. */
  peer: string | null;
  /** Whether the direct connection is TLS. */
  tls: boolean;
}

export function readPeer(headers: Headers, stampSecret = process.env[PEER_STAMP_ENV]): PeerFacts {
  const stamp = headers.get(PEER_STAMP_HEADER);
  if (!stampSecret || !stamp || !safeEqual(stamp, stampSecret)) return { peer: null, tls: false };
  return { peer: normalizeIp(headers.get(PEER_HEADER)), tls: headers.get(PEER_TLS_HEADER) === "1" };
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * ipaddr.js also accepts legacy IPv4 spellings (octal `010.0.0.1` = 8.0.0.1,
 * hex, `10.1`). An address an operator or a proxy wrote means what it says
 * in dotted decimal, so anything else is refused rather than reinterpreted.
 */
function isStrictIp(text: string): boolean {
  return text.includes(":") ? ipaddr.IPv6.isValid(text) : ipaddr.IPv4.isValidFourPartDecimal(text);
}

/**
 * Canonical forms already worked out, by the text given: every request asks for its peer's (the same few
 * addresses over and over), and parsing one with ipaddr.js was a few per cent of a short request. A pure
 * function of its input, so remembering it changes nothing; emptied when full, so it stays small whatever
 * addresses arrive.
 */
const NORMALIZED_KEPT = 4096;
const MAX_KEPT_TEXT = 64;
const normalized = new Map<string, string | null>();

/** Canonical text form; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes plain IPv4. */
export function normalizeIp(value: string | null | undefined): string | null {
  if (!value) return null;
  // Nothing longer than an address's longest text is kept (a forwarded hop can be any junk a client wrote).
  if (value.length > MAX_KEPT_TEXT) return normalizeUncached(value);
  const known = normalized.get(value);
  if (known !== undefined) return known;
  const result = normalizeUncached(value);
  if (normalized.size >= NORMALIZED_KEPT) normalized.clear();
  normalized.set(value, result);
  return result;
}

function normalizeUncached(value: string): string | null {
  const trimmed = value.trim();
  if (!isStrictIp(trimmed)) return null;
  const parsed = ipaddr.parse(trimmed);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (parsed as ipaddr.IPv6).toIPv4Address().toString();
  }
  return parsed.toString();
}

export type TrustedProxies = Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;

/** Parses `TRUSTED_PROXIES` (IPs or CIDRs); throws naming the bad entry. */
export function parseTrustedProxies(entries: readonly string[]): TrustedProxies {
  return entries.map((entry) => {
    try {
      if (!isStrictIp(entry.split("/")[0] ?? "")) throw new Error("not dotted decimal");
      if (entry.includes("/")) return ipaddr.parseCIDR(entry);
      const addr = ipaddr.parse(entry);
      return [addr, addr.kind() === "ipv4" ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
    } catch {
      throw new Error(`TRUSTED_PROXIES: "${entry.slice(0, 60)}" is not an IP address or CIDR range`);
    }
  });
}

export function isTrusted(ip: string | null, trusted: TrustedProxies): boolean {
  if (!ip || trusted.length === 0) return false;
  const addr = ipaddr.process(ip);
  return trusted.some(([range, bits]) => addr.kind() === range.kind() && addr.match(range, bits));
}

export interface ResolvedClient {
  ip: string | null;
  https: boolean;
}

/**
 * The client IP and scheme. Forwarded headers count only when the direct peer
 * is a configured proxy; `X-Forwarded-For` is walked from the right (the hop
 * our proxy appended) and the walk stops at the first address that is not a
 * trusted proxy, since anything left of it was written by the client.
 */
export function resolveClient(headers: Headers, trusted: TrustedProxies, given?: PeerFacts): ResolvedClient {
  // Worked out once per request: the doors, the log line and the context all ask (the headers object is the request's).
  const memo = given ? undefined : resolved.get(headers);
  if (memo && memo.trusted === trusted) return memo.client;
  const client = resolveUncached(headers, trusted, given ?? readPeer(headers));
  if (!given) resolved.set(headers, { trusted, client });
  return client;
}

const resolved = new WeakMap<Headers, { trusted: TrustedProxies; client: ResolvedClient }>();

function resolveUncached(headers: Headers, trusted: TrustedProxies, facts: PeerFacts): ResolvedClient {
  if (!facts.peer || !isTrusted(facts.peer, trusted)) return { ip: facts.peer, https: facts.tls };
  let ip: string | null = facts.peer;
  const hops = (headers.get("x-forwarded-for") ?? "").split(",").map((h) => h.trim());
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i]);
    if (!hop) break; // malformed: stop, keep the last good address
    ip = hop;
    if (!isTrusted(hop, trusted)) break;
  }
  // The proxy speaks for the scheme of its own client connection: take the
  // last value it appended.
  const proto = (headers.get("x-forwarded-proto") ?? "").split(",").at(-1)?.trim().toLowerCase();
  return { ip, https: facts.tls || proto === "https" };
}
