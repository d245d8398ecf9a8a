import { processSingleton } from "../observability/process-singleton";
import { isTrusted, type PeerFacts, readPeer, type TrustedProxies } from "../security/client-ip";

/**
 * What the posture check can know about a proxy in front: the configuration
 * says nothing when APP_URL is http, and the command line never sees a
 * request. So each API request (createContext) is looked at for forwarding
 * headers arriving from a peer that is not in TRUSTED_PROXIES, and the last
 * such sighting is kept in this process's memory for a day. It means one of
 * two things, and the rule says both: a proxy the configuration does not
 * trust (every client then has its address), or a client sending forged
 * headers (which are ignored, as they should be). Costs a few header lookups
 * per request; never keeps a header's value, only its name and the peer.
 */

export const FORWARDING_HEADERS = [
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-real-ip",
];
/** Sightings older than this are forgotten: the set-up may have been fixed since. */
export const FORWARDING_MEMORY_MS = 86_400_000;

export interface ForwardingSighting {
  /** The direct peer that sent them (null: unknown, e.g. no peer stamp). */
  peer: string | null;
  /** Which forwarding headers it sent (names only). */
  headers: string[];
  lastAt: Date;
  /** Requests seen like this in the current sighting (since the first one within the memory). */
  count: number;
}

const state = () => processSingleton("posture.forwarding", () => ({ seen: null as ForwardingSighting | null }));

/** Called for every API request: remembers forwarding headers from a peer that is not a trusted proxy. */
export function noteForwarding(headers: Headers, trusted: TrustedProxies, now = new Date(), peer?: PeerFacts): void {
  const names = FORWARDING_HEADERS.filter((name) => headers.has(name));
  if (names.length === 0) return;
  const facts = peer ?? readPeer(headers);
  if (facts.peer && isTrusted(facts.peer, trusted)) return;
  const s = state();
  const fresh = s.seen && now.getTime() - s.seen.lastAt.getTime() < FORWARDING_MEMORY_MS;
  s.seen = { peer: facts.peer, headers: names, lastAt: now, count: fresh && s.seen ? s.seen.count + 1 : 1 };
}

/** The last sighting within the memory, or null. */
export function forwardingSeen(now = new Date()): ForwardingSighting | null {
  const seen = state().seen;
  return seen && now.getTime() - seen.lastAt.getTime() < FORWARDING_MEMORY_MS ? { ...seen } : null;
}

export function forgetForwarding(): void {
  state().seen = null;
}
