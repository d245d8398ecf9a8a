import type { PostureFacts } from "../facts";
import type { PostureRule } from "../types";
import { hostOf, isLoopbackHost } from "./hosts";

export const httpsAppUrl: PostureRule<PostureFacts> = {
  id: "transport.https",
  group: "transport",
  title: "APP_URL is https",
  meaning:
    "APP_URL is the public address. When it is https, Gatehouse redirects plain-HTTP pages, refuses plain-HTTP API calls, sends HSTS and marks cookies Secure; over http, passwords, session cookies and tokens cross the network readable by anyone on the path.",
  fix: "Put a TLS terminator in front (deploy/nginx/gatehouse.conf) and set APP_URL=https://<your host>, with TRUSTED_PROXIES naming the terminator.",
  evaluate(f) {
    const host = hostOf(f.appUrl);
    if (host?.protocol === "https:") return { status: "pass", summary: `APP_URL is ${f.appUrl}.` };
    if (!f.appUrlConfigured) {
      return {
        status: "warn",
        summary: `APP_URL is not set: Gatehouse assumes ${f.appUrl}, which is only right on a developer's machine.`,
      };
    }
    if (host && isLoopbackHost(host.hostname)) {
      return {
        status: "warn",
        summary: `APP_URL is ${f.appUrl}: plain HTTP on this machine only, fine for development, not for a deployment.`,
      };
    }
    return {
      status: "fail",
      summary: `APP_URL is ${f.appUrl}: credentials and cookies travel unencrypted, and none of the https protections apply.`,
    };
  },
};

/** Narrower than this, a trusted range is a proxy's subnet; wider, it is most likely a mistake. */
const BROAD_PREFIX = { v4: 16, v6: 48 };

export const trustedProxies: PostureRule<PostureFacts> = {
  id: "transport.trusted-proxies",
  group: "transport",
  title: "Trusted proxies match the set-up",
  meaning:
    "X-Forwarded-For and X-Forwarded-Proto are believed only from the addresses in TRUSTED_PROXIES. Gatehouse does not terminate TLS itself, so with an https APP_URL something in front does, and it must be trusted: otherwise every API call counts as plain HTTP (and is refused) and every client has the proxy's address, so per-IP limits and the audit log see one client. Trusting too much lets any client choose its own address and scheme. The server also notes API requests that bring forwarding headers from a peer it does not trust: a proxy missing from the list, or a client forging them.",
  fix: "Set TRUSTED_PROXIES to the address (or narrow CIDR range) your reverse proxy or load balancer connects from, e.g. TRUSTED_PROXIES=10.0.0.5; never 0.0.0.0/0.",
  evaluate(f) {
    const everyone = f.trustedProxies.filter((p) => /\/0$/.test(p));
    if (everyone.length > 0) {
      return {
        status: "fail",
        summary: "TRUSTED_PROXIES trusts every address: any client can set its own IP and claim https.",
        details: everyone.map((p) => `${p} matches every address`),
      };
    }
    const secure = hostOf(f.appUrl)?.protocol === "https:";
    if (f.trustedProxies.length === 0 && secure) {
      return {
        status: "fail",
        summary:
          "APP_URL is https but TRUSTED_PROXIES is empty: the TLS terminator in front is not believed, so API calls count as plain HTTP and every client has its address.",
      };
    }
    const seen = f.forwarding;
    if (seen && seen !== "unknown") {
      const from = seen.peer ?? "a peer without a known address";
      return {
        status: "warn",
        summary:
          f.trustedProxies.length === 0
            ? `API requests arrive with forwarding headers from ${from}, but TRUSTED_PROXIES is empty: if that is your proxy, every client looks like it; if not, someone sends forged headers (they are ignored).`
            : `API requests arrive with forwarding headers from ${from}, which is not in TRUSTED_PROXIES: a proxy missing from the list, or forged headers (they are ignored).`,
        details: [
          `${seen.count} ${seen.count === 1 ? "request" : "requests"} with ${seen.headers.join(", ")}, the last at ${seen.lastAt.toISOString()}`,
        ],
      };
    }
    const unseen =
      seen === "unknown"
        ? [
            "The command line sees no requests; the Posture page also looks at the forwarding headers API requests bring.",
          ]
        : [];
    if (f.trustedProxies.length === 0) {
      return {
        status: "pass",
        summary: "No proxy is trusted; forwarded headers are ignored (right when nothing sits in front).",
        details: unseen,
      };
    }
    const broad = f.trustedProxies.filter((p) => {
      const [address, bits] = p.split("/");
      if (bits === undefined) return false;
      return Number(bits) < (address?.includes(":") ? BROAD_PREFIX.v6 : BROAD_PREFIX.v4);
    });
    if (broad.length > 0) {
      return {
        status: "warn",
        summary: "TRUSTED_PROXIES holds broad ranges: every machine in them can forge client addresses.",
        details: broad.map((p) => `${p} is wider than /${p.includes(":") ? BROAD_PREFIX.v6 : BROAD_PREFIX.v4}`),
      };
    }
    return {
      status: "pass",
      summary: `Forwarded headers are believed from ${f.trustedProxies.join(", ")} only.`,
      details: unseen,
    };
  },
};
