/**
 * Checks on the request line and Host header that the HTTP front makes
 * before any router, URL parser or framework sees the request. Each defect
 * is named, so the answer can say what was wrong (a problem+json 4xx) rather
 * than a framework's bare 500 or a parser's guess.
 */

/** Longest request target accepted (path and query); browsers and proxies commonly stop near 8 KiB. */
export const MAX_TARGET_LENGTH = 8 * 1024;

export interface TargetDefect {
  status: 400 | 414;
  reason: "uri_too_long" | "malformed_request_target" | "invalid_host";
  detail: string;
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/** `null` when the target can be routed; otherwise what is wrong with it. */
export function targetDefect(target: string): TargetDefect | null {
  if (target.length > MAX_TARGET_LENGTH) {
    return {
      status: 414,
      reason: "uri_too_long",
      detail: `The request target is longer than ${MAX_TARGET_LENGTH} characters`,
    };
  }
  // Origin-form only: an absolute URL or `*` is for proxies, and this is not one.
  if (!target.startsWith("/") || target.startsWith("//")) {
    return malformed("The request target must be a path starting with a single /");
  }
  const q = target.indexOf("?");
  const path = q === -1 ? target : target.slice(0, q);
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c > 0x7e)
      return malformed("The request target contains a control or non-ASCII character");
    if (c === 0x25 && !HEX.test(target.slice(i + 1, i + 3))) {
      return malformed("The request target contains a malformed percent-escape");
    }
  }
  if (path.includes("\\")) return malformed("The request path contains a backslash");
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return malformed("The request path contains a percent-escape that is not UTF-8");
  }
  // Decoded control characters (%00, %0A, …) and encoded backslashes would mean something else further in.
  if (/[\u0000-\u001f\u007f\\]/.test(decoded)) {
    return malformed("The request path encodes a control character or a backslash");
  }
  return null;
}

function malformed(detail: string): TargetDefect {
  return { status: 400, reason: "malformed_request_target", detail };
}

// A registered name (RFC 3986 reg-name, no percent-escapes), an IPv4 address, or a bracketed IPv6 address; an optional port.
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?$/;

/** `null` for one well-formed Host header (RFC 9112 §3.2); the defect otherwise. */
export function hostDefect(hosts: readonly string[]): TargetDefect | null {
  if (hosts.length !== 1) {
    return {
      status: 400,
      reason: "invalid_host",
      detail: hosts.length === 0 ? "The request has no Host header" : "The request has more than one Host header",
    };
  }
  const host = hosts[0] as string;
  const match = host.length <= 260 ? HOST.exec(host) : null;
  if (!match || (match[1] !== undefined && Number(match[1]) > 65535)) {
    return { status: 400, reason: "invalid_host", detail: "The Host header is not a valid host name" };
  }
  return null;
}
