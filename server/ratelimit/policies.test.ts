import { describe, expect, it } from "vitest";
import { ConfigError } from "../config";
import { parseEnv } from "../config/env";
import { appRouter } from "../root";
import { rateLimitConfigFromEnv, rateLimitEnvShape } from "./config";
import { PROCEDURE_LIMITS, policiesOf } from "./policies";
import { formatRule, parseRule } from "./rule";

describe("rate-limit policies", () => {
  it("each per-procedure entry names a real procedure (a renamed one must not silently lose its cost)", () => {
    const procedures = Object.keys(appRouter._def.procedures);
    for (const path of Object.keys(PROCEDURE_LIMITS)) expect(procedures).toContain(path);
  });

  it("each policy is set by an environment variable the configuration reads", () => {
    const env = rateLimitConfigFromEnv(parseEnv({}));
    for (const policy of Object.values(policiesOf(env))) expect(Object.keys(rateLimitEnvShape)).toContain(policy.env);
  });

  it("sign-in and sensitive calls fail closed, ordinary calls fail open", () => {
    const policies = policiesOf(rateLimitConfigFromEnv(parseEnv({})));
    expect(policies.api.onStoreFailure).toBe("open");
    expect(policies.anon.onStoreFailure).toBe("open");
    expect(policies.sensitive.onStoreFailure).toBe("closed");
    expect(policies["signin-account"].onStoreFailure).toBe("closed");
    expect(policies["signin-ip"].onStoreFailure).toBe("closed");
  });
});

describe("RATE_LIMIT_* and the store variables", () => {
  it("defaults: 600/1m per principal, 60/1m per IP, 5/15m sign-in failures, embedded store", () => {
    const config = rateLimitConfigFromEnv(parseEnv({}));
    expect(formatRule(config.api)).toBe("600/1m");
    expect(formatRule(config.anon)).toBe("60/1m");
    expect(formatRule(config.signin)).toBe("5/15m");
    expect(config.store).toEqual({ kind: "embedded" });
  });

  it("reads <count>/<window>", () => {
    const config = rateLimitConfigFromEnv(
      parseEnv({ RATE_LIMIT_API: "100/30s", RATE_LIMIT_ANON: "10/1h", RATE_LIMIT_SIGNIN: "3/10m" }),
    );
    expect(config.api).toEqual({ limit: 100, windowMs: 30_000 });
    expect(config.anon).toEqual({ limit: 10, windowMs: 3_600_000 });
    expect(config.signin).toEqual({ limit: 3, windowMs: 600_000 });
  });

  it.each(["600", "0/1m", "-1/1m", "10/1.5m", "10/500ms", "10/8d", "ten/1m", "10/1w", " /1m"])(
    "refuses RATE_LIMIT_API=%j, naming the variable",
    (value) => {
      expect(() => parseEnv({ RATE_LIMIT_API: value })).toThrow(ConfigError);
      expect(() => parseEnv({ RATE_LIMIT_API: value })).toThrow(/RATE_LIMIT_API: must be <count>\/<window>/);
    },
  );

  it("chooses the store: REDIS_URL, or UPSTASH_REDIS_REST_URL with its token, never both", () => {
    expect(rateLimitConfigFromEnv(parseEnv({ REDIS_URL: "redis://:pw@cache:6379/0" })).store).toEqual({
      kind: "redis",
      url: "redis://:pw@cache:6379/0",
    });
    expect(
      rateLimitConfigFromEnv(
        parseEnv({ UPSTASH_REDIS_REST_URL: "https://x.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t0k" }),
      ).store,
    ).toEqual({ kind: "upstash", url: "https://x.upstash.io", token: "t0k" });
    expect(() => parseEnv({ UPSTASH_REDIS_REST_URL: "https://x.upstash.io" })).toThrow(/UPSTASH_REDIS_REST_TOKEN/);
    expect(() =>
      parseEnv({
        REDIS_URL: "redis://cache:6379",
        UPSTASH_REDIS_REST_URL: "https://x.upstash.io",
        UPSTASH_REDIS_REST_TOKEN: "t0k",
      }),
    ).toThrow(/REDIS_URL: set either/);
  });

  it("a bad REDIS_URL is refused without repeating it (it may hold a password)", () => {
    let message = "";
    try {
      parseEnv({ REDIS_URL: "http://user:hunter2@cache:6379" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(message).not.toContain("hunter2");
  });

  it("parseRule is strict", () => {
    expect(parseRule("5/15m")).toEqual({ limit: 5, windowMs: 900_000 });
    expect(parseRule("1/1s")).toEqual({ limit: 1, windowMs: 1_000 });
    expect(parseRule("1/7d")).toEqual({ limit: 1, windowMs: 604_800_000 });
    for (const bad of ["", "5", "/1m", "5/", "5/1", "5/0s", "1000000001/1m", "5/1m extra"])
      expect(parseRule(bad)).toBeNull();
  });
});
