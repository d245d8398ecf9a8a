/**
 * Whether a URL's host is this machine: traffic to it never leaves the host,
 * so plain HTTP there is a development set-up rather than an exposure.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host === "::1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The URL's host when it parses; null otherwise (a rule then judges the value as not local). */
export function hostOf(url: string): { protocol: string; hostname: string } | null {
  try {
    const parsed = new URL(url);
    return { protocol: parsed.protocol, hostname: parsed.hostname };
  } catch {
    return null;
  }
}

export function isLocalUrl(url: string): boolean {
  const host = hostOf(url);
  return host !== null && isLoopbackHost(host.hostname);
}
