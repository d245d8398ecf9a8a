import { Writable } from "node:stream";
import { decodeJwt } from "jose";
import * as client from "openid-client";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger, setLogger } from "../logger";
import { CALLBACK, type OAuthHttpServer, startOAuthServer } from "./testing/http-server";

/**
 * What an outsider can send to the authorization and token endpoints over
 * real HTTP, beyond what a well-behaved library does: unknown parameters by
 * the hundred, with long names and control characters; repeated parameters;
 * resources that are malformed or not ours; code verifiers that are not
 * verifiers. Unknown parameters are ignored (RFC 6749 §3.1, §3.2) and never
 * echoed — not in a redirect, an error body or a log line.
 */
let server: OAuthHttpServer;
let user: { userId: string; cookie: string };
let logLines: string[];

beforeAll(async () => {
  server = await startOAuthServer();
  user = await server.signedIn("carol@example.com");
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  logLines = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  setLogger(createLogger({ level: "debug", destination: sink }));
});
afterEach(() => {
  setLogger(undefined);
});

/** A marker that must never come back from the server in any form. */
const MARK = "zq7marker";
const HOSTILE_NAMES = [
  `x_${MARK}`,
  `${MARK}${"n".repeat(2000)}`,
  `<script>${MARK}</script>`,
  `${MARK}\r\nset-cookie: a=b`,
  `${MARK}\u0000\u001b[31m`,
  `${MARK}"'\`&;`,
  `${MARK}\u202e\u00e9\u{1f600}`,
  `resource_${MARK}`,
  ` ${MARK} `,
];

function expectNoEcho(where: string, text: string) {
  expect(text.toLowerCase(), where).not.toContain(MARK);
}

async function authorizeParams(challenge?: string): Promise<[string, string][]> {
  const { clientId } = await server.registerClient();
  return [
    ["response_type", "code"],
    ["client_id", clientId],
    ["redirect_uri", CALLBACK],
    ["scope", "contacts:read"],
    ["state", "st-1"],
    ["code_challenge", challenge ?? (await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()))],
    ["code_challenge_method", "S256"],
  ];
}

async function getAuthorize(params: [string, string][], cookie: string | null = user.cookie) {
  const url = new URL("/oauth/authorize", server.origin);
  for (const [name, value] of params) url.searchParams.append(name, value);
  const res = await fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
  const body = await res.text();
  return { status: res.status, location: res.headers.get("location"), body, headers: res.headers };
}

/** The error an authorization response redirected back to the client carries (fails unless it is one). */
function redirectedError(res: { status: number; location: string | null }) {
  expect(res.status).toBe(303);
  const target = new URL(res.location as string);
  expect(`${target.origin}${target.pathname}`).toBe(CALLBACK);
  expect(target.searchParams.get("state")).toBe("st-1");
  expect(target.searchParams.get("iss")).toBe(server.origin);
  expect(target.searchParams.get("code")).toBeNull();
  return target.searchParams.get("error");
}

async function postToken(form: [string, string][], auth: { clientId: string; clientSecret: string | null }) {
  const body = new URLSearchParams();
  for (const [name, value] of form) body.append(name, value);
  const res = await fetch(`${server.origin}/oauth/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${auth.clientId}:${auth.clientSecret}`).toString("base64")}`,
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Record<string, string> };
}

/** A fresh code for a new confidential client (consented), with its verifier. */
async function freshCode(resource?: string) {
  const registered = await server.registerClient();
  const verifier = client.randomPKCECodeVerifier();
  const url = new URL("/oauth/authorize", server.origin);
  const params: Record<string, string> = {
    response_type: "code",
    client_id: registered.clientId,
    redirect_uri: CALLBACK,
    scope: "contacts:read",
    state: "st-1",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    ...(resource ? { resource } : {}),
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const callback = await server.browse(url, user);
  const code = callback.searchParams.get("code");
  expect(code, callback.href).toBeTruthy();
  return { registered, verifier, code: code as string };
}

const codeForm = (code: string, verifier: string): [string, string][] => [
  ["grant_type", "authorization_code"],
  ["code", code],
  ["redirect_uri", CALLBACK],
  ["code_verifier", verifier],
];

describe("unknown parameters are ignored, and never echoed", () => {
  it("at authorize: hostile names, one at a time and all together, and 250 unknown ones", async () => {
    for (const name of HOSTILE_NAMES) {
      const res = await getAuthorize([...(await authorizeParams()), [name, `${MARK}-value`]]);
      expect(res.status, JSON.stringify(name)).toBe(303);
      expect(res.location, JSON.stringify(name)).toMatch(/^\/oauth\/consent\?request=oar_/);
      expectNoEcho(JSON.stringify(name), `${res.location} ${res.body}`);
    }
    const many: [string, string][] = Array.from({ length: 250 }, (_, i) => [`x_${i}_${MARK}`, String(i)]);
    const all = await getAuthorize([
      ...(await authorizeParams()),
      ...HOSTILE_NAMES.map((n) => [n, "v"] as [string, string]),
      ...many,
    ]);
    expect(all.status).toBe(303);
    expect(all.location).toMatch(/^\/oauth\/consent\?request=oar_/);
    expectNoEcho("all", `${all.location} ${all.body}`);
    // Signed out: to the sign-in page, whose return address carries only the parameters read.
    const signedOut = await getAuthorize(
      [...(await authorizeParams()), ...HOSTILE_NAMES.map((n) => [n, "v"] as [string, string])],
      null,
    );
    expect(signedOut.status).toBe(303);
    const signin = new URL(signedOut.location as string, server.origin);
    expect(signin.pathname).toBe("/signin");
    const back = new URL(signin.searchParams.get("callbackUrl") as string, server.origin);
    expect([...back.searchParams.keys()].sort()).toEqual([
      "client_id",
      "code_challenge",
      "code_challenge_method",
      "redirect_uri",
      "response_type",
      "scope",
      "state",
    ]);
    expect(back.searchParams.get("redirect_uri")).toBe(CALLBACK);
    expectNoEcho("sign-in", `${signedOut.location} ${signedOut.body}`);
    expectNoEcho("logs", logLines.join("\n"));
  });

  it("at authorize, a hostile unknown parameter with an error elsewhere: the error, the name not echoed", async () => {
    const params = (await authorizeParams()).map(([n, v]): [string, string] => [n, n === "scope" ? "no:such" : v]);
    for (const name of HOSTILE_NAMES) {
      const res = await getAuthorize([...params, [name, "v"]]);
      expect(redirectedError(res), JSON.stringify(name)).toBe("invalid_scope");
      expectNoEcho(JSON.stringify(name), `${res.location} ${res.body}`);
    }
  });

  it("at the token endpoint: hostile names, hundreds of unknown parameters, all ignored", async () => {
    const { registered, verifier, code } = await freshCode();
    const extra: [string, string][] = [
      ...HOSTILE_NAMES.map((n): [string, string] => [n, `${MARK}`]),
      ...Array.from({ length: 200 }, (_, i): [string, string] => [`x${i}`, "1"]),
      ["nonce", "n"],
      ["audience", "https://elsewhere.example"],
      ["dpop_jkt", "abc"],
    ];
    const res = await postToken([...codeForm(code, verifier), ...extra], registered);
    expect(res.status, res.text).toBe(200);
    expect(res.json.token_type).toBe("Bearer");
    expectNoEcho("token", res.text);
    const cc = await postToken([["grant_type", "client_credentials"], ...extra], registered);
    expect(cc.status, cc.text).toBe(200);
    expectNoEcho("logs", logLines.join("\n"));
  });

  it("the form is still capped: hundreds of unknown parameters past 8 KB are a 413, not parsed", async () => {
    const registered = await server.registerClient();
    const extra = Array.from({ length: 400 }, (_, i): [string, string] => [`x_${i}`, "y".repeat(20)]);
    const res = await postToken([["grant_type", "client_credentials"], ...extra], registered);
    expect(res.status).toBe(413);
    expect(res.json.error).toBe("invalid_request");
  });
});

describe("repeated parameters stay refused", () => {
  it("at authorize: each repeated parameter is invalid_request, a repeated resource invalid_target", async () => {
    const base = await authorizeParams();
    for (const name of [
      "response_type",
      "scope",
      "code_challenge",
      "code_challenge_method",
      "prompt",
      "nonce",
      "x_any",
    ]) {
      const value = base.find(([n]) => n === name)?.[1] ?? "v";
      const res = await getAuthorize([
        ...base,
        [name, value],
        ...(base.some(([n]) => n === name) ? [] : [[name, value] as [string, string]]),
      ]);
      expect(redirectedError(res), name).toBe("invalid_request");
      expect(new URL(res.location as string).searchParams.get("error_description"), name).toMatch(/repeated/);
    }
    const api = `${server.origin}/api`;
    for (const pair of [
      [api, api],
      [api, `${server.origin}/api/v1`],
    ]) {
      const res = await getAuthorize([...base, ["resource", pair[0] as string], ["resource", pair[1] as string]]);
      expect(redirectedError(res), pair.join(" ")).toBe("invalid_target");
    }
  });

  it("a repeated name is described only in safe characters", async () => {
    const base = await authorizeParams();
    const res = await getAuthorize([...base, [`<b>${MARK}\r\n`, "1"], [`<b>${MARK}\r\n`, "2"]]);
    expect(redirectedError(res)).toBe("invalid_request");
    const description = new URL(res.location as string).searchParams.get("error_description") as string;
    expect(description).toMatch(/^The parameter "[A-Za-z0-9_.?-]{1,40}" is repeated$/);
  });

  it("at the token endpoint: a repeated parameter is invalid_request, a repeated resource invalid_target", async () => {
    const { registered, verifier, code } = await freshCode();
    for (const [name, value] of [
      ["grant_type", "authorization_code"],
      ["code", code],
      ["code_verifier", verifier],
      ["redirect_uri", CALLBACK],
      ["x_unknown", "1"],
    ] as const) {
      const res = await postToken(
        [
          ...codeForm(code, verifier),
          [name, value],
          ...(name === "x_unknown" ? [[name, value] as [string, string]] : []),
        ],
        registered,
      );
      expect(res.json.error, name).toBe("invalid_request");
    }
    const twice = await postToken(
      [
        ["grant_type", "client_credentials"],
        ["resource", `${server.origin}/api`],
        ["resource", `${server.origin}/api`],
      ],
      registered,
    );
    expect(twice).toMatchObject({ status: 400, json: { error: "invalid_target" } });
    // None of that spent the code: it still redeems.
    expect((await postToken(codeForm(code, verifier), registered)).status).toBe(200);
  });
});

describe("resource indicators: malformed or not ours is invalid_target", () => {
  const bad = (origin: string) => {
    const { host, port } = new URL(origin);
    return [
      ["relative", "/api/v1"],
      ["relative, no slash", "api/v1"],
      ["with a fragment", `${origin}/api/v1#x`],
      ["with an empty fragment", `${origin}/api#`],
      ["another host", "https://elsewhere.example/api/v1"],
      ["https for an http server", `https://${host}/api/v1`],
      ["another port", `http://127.0.0.1:${Number(port) + 1}/api/v1`],
      ["localhost for 127.0.0.1", `http://localhost:${port}/api`],
      ["a trailing slash", `${origin}/api/v1/`],
      ["a path below", `${origin}/api/v1/contacts`],
      ["the origin alone", origin],
      ["upper case", `${origin}/API/v1`],
      ["percent-encoded", `${origin}/%61pi/v1`],
      ["dot segments", `${origin}/api/x/../v1`],
      ["a query", `${origin}/api/v1?x=1`],
      ["userinfo", `http://user@${host}/api/v1`],
      ["a URN", "urn:gatehouse:api"],
      ["empty", ""],
      ["white space", ` ${origin}/api/v1`],
      ["a control character", `${origin}/api/v1\u0000`],
      ["very long", `${origin}/api/v1/${"a".repeat(5000)}`],
    ] as const;
  };

  it("at authorize: back to the client with error=invalid_target", async () => {
    for (const [what, value] of bad(server.origin)) {
      const res = await getAuthorize([...(await authorizeParams()), ["resource", value]]);
      expect(redirectedError(res), what).toBe("invalid_target");
    }
  });

  it("at authorize with an unregistered redirect_uri: the error page, never a redirect", async () => {
    const params = (await authorizeParams()).map(([n, v]): [string, string] => [
      n,
      n === "redirect_uri" ? "https://attacker.example/cb" : v,
    ]);
    const res = await getAuthorize([...params, ["resource", "https://elsewhere.example/"]]);
    expect(res.status).toBe(400);
    expect(res.location).toBeNull();
  });

  it("at the token endpoint, every grant: 400 invalid_target, and nothing is spent", async () => {
    const cases = bad(server.origin);
    const { registered, verifier, code } = await freshCode();
    for (const [what, value] of cases) {
      const cc = await postToken(
        [
          ["grant_type", "client_credentials"],
          ["resource", value],
        ],
        registered,
      );
      expect(cc, what).toMatchObject({ status: 400, json: { error: "invalid_target" } });
      const ac = await postToken([...codeForm(code, verifier), ["resource", value]], registered);
      expect(ac, what).toMatchObject({ status: 400, json: { error: "invalid_target" } });
    }
    const tokens = await postToken(codeForm(code, verifier), registered);
    expect(tokens.status, "the code survived the refused requests").toBe(200);
    for (const [what, value] of cases) {
      const rt = await postToken(
        [
          ["grant_type", "refresh_token"],
          ["refresh_token", tokens.json.refresh_token as string],
          ["resource", value],
        ],
        registered,
      );
      expect(rt, what).toMatchObject({ status: 400, json: { error: "invalid_target" } });
    }
    const refreshed = await postToken(
      [
        ["grant_type", "refresh_token"],
        ["refresh_token", tokens.json.refresh_token as string],
      ],
      registered,
    );
    expect(refreshed.status, "the refresh token survived too").toBe(200);
  });

  it("a code granted for one resource cannot be redeemed for the other", async () => {
    const rest = `${server.origin}/api/v1`;
    const { registered, verifier, code } = await freshCode(rest);
    const other = await postToken([...codeForm(code, verifier), ["resource", `${server.origin}/api`]], registered);
    expect(other).toMatchObject({ status: 400, json: { error: "invalid_target" } });
    // One attempt per code: that refusal spent it.
    expect((await postToken(codeForm(code, verifier), registered)).json.error).toBe("invalid_grant");

    const second = await freshCode(rest);
    const ok = await postToken(codeForm(second.code, second.verifier), second.registered);
    expect(decodeJwt(ok.json.access_token as string).aud).toBe(rest);
  });

  it("the REST door accepts exactly our audiences: /api and /api/v1; tRPC only /api", async () => {
    const registered = await server.registerClient();
    const token = async (resource?: string) =>
      (
        await postToken(
          [["grant_type", "client_credentials"], ...(resource ? [["resource", resource] as [string, string]] : [])],
          registered,
        )
      ).json.access_token as string;
    const call = (path: string, t: string) =>
      fetch(`${server.origin}${path}`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
    const trpcPath = `/api/trpc/contacts.list?input=${encodeURIComponent("{}")}`;
    const api = await token();
    const apiExplicit = await token(`${server.origin}/api`);
    const rest = await token(`${server.origin}/api/v1`);
    expect(await call("/api/v1/contacts", api)).toBe(200);
    expect(await call("/api/v1/contacts", apiExplicit)).toBe(200);
    expect(await call("/api/v1/contacts", rest)).toBe(200);
    expect(await call(trpcPath, api)).toBe(200);
    expect(await call(trpcPath, rest)).toBe(401);
  });
});

describe("code_verifier: malformed is invalid_request, wrong is invalid_grant", () => {
  const malformed = [
    ["42 characters", "a".repeat(42)],
    ["129 characters", "b".repeat(129)],
    ["a plus sign", `${"c".repeat(42)}+`],
    ["a slash", `${"c".repeat(42)}/`],
    ["padding", `${"c".repeat(42)}=`],
    ["a space", `${"d".repeat(42)} `],
    ["a percent sign", `${"d".repeat(40)}%41`],
    ["non-ASCII", `${"e".repeat(42)}é`],
    ["a control character", `${"e".repeat(42)}\u0001`],
    ["very long", "f".repeat(5000)],
  ] as const;

  it("each malformed verifier: 400 invalid_request", async () => {
    for (const [what, verifier] of malformed) {
      const { registered, code } = await freshCode();
      const res = await postToken(codeForm(code, verifier), registered);
      expect(res, what).toMatchObject({ status: 400, json: { error: "invalid_request" } });
    }
  });

  it("well-formed but wrong, at the boundaries of the alphabet and length: 400 invalid_grant", async () => {
    for (const verifier of [
      "A".repeat(43),
      "z".repeat(128),
      `-._~${"0".repeat(39)}`,
      client.randomPKCECodeVerifier(),
    ]) {
      const { registered, code } = await freshCode();
      const res = await postToken(codeForm(code, verifier), registered);
      expect(res, verifier).toMatchObject({ status: 400, json: { error: "invalid_grant" } });
    }
  });

  it("a malformed verifier still spends the code (one attempt per code)", async () => {
    const { registered, verifier, code } = await freshCode();
    expect((await postToken(codeForm(code, "short"), registered)).json.error).toBe("invalid_request");
    expect((await postToken(codeForm(code, verifier), registered)).json.error).toBe("invalid_grant");
  });
});

describe("parameters known but not implemented are refused, not silently dropped", () => {
  it("a JWT client assertion (private_key_jwt) at the token endpoint: 401 invalid_client, even beside a good secret", async () => {
    const registered = await server.registerClient();
    const publicClient = await server.registerClient({ type: "public", grantTypes: ["authorization_code"] });
    const assertion: [string, string][] = [
      ["client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"],
      ["client_assertion", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"],
    ];
    const withSecret = await postToken([["grant_type", "client_credentials"], ...assertion], registered);
    expect(withSecret).toMatchObject({ status: 401, json: { error: "invalid_client" } });
    const res = await fetch(`${server.origin}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams([
        ["grant_type", "authorization_code"],
        ["code", "x".repeat(40)],
        ["client_id", publicClient.clientId],
        ...assertion,
      ]),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic /);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_client");
  });

  it("response_mode other than query; request; request_uri; prompt=none with another value", async () => {
    const base = await authorizeParams();
    for (const mode of ["fragment", "form_post", "jwt", "query.jwt", "QUERY", ""]) {
      expect(redirectedError(await getAuthorize([...base, ["response_mode", mode]])), mode).toBe("invalid_request");
    }
    expect((await getAuthorize([...base, ["response_mode", "query"]])).location).toMatch(/^\/oauth\/consent/);
    expect(redirectedError(await getAuthorize([...base, ["request", "eyJhbGciOiJub25lIn0.e30."]]))).toBe(
      "request_not_supported",
    );
    expect(redirectedError(await getAuthorize([...base, ["request_uri", "urn:ietf:params:oauth:request_uri:x"]]))).toBe(
      "request_uri_not_supported",
    );
    expect(redirectedError(await getAuthorize([...base, ["prompt", "none login"]]))).toBe("invalid_request");
    // Signed out with prompt=none: an answer to the client, not the sign-in page.
    expect(redirectedError(await getAuthorize([...base, ["prompt", "none"]], null))).toBe("login_required");
    expect((await getAuthorize(base, null)).location).toMatch(/^\/signin\?callbackUrl=/);
  });
});
