import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "./env";
import { DEFAULT_TOKEN_POLICY, loadConfig } from "./index";

describe("API token settings", () => {
  const base = { AUTH_SECRET: "x".repeat(40), DATA_DIR: "/tmp/gatehouse-token-policy-test" };

  it("defaults to 90 days, at most 365, never 'never' — the same as DEFAULT_TOKEN_POLICY", () => {
    expect(loadConfig(base).tokens).toEqual(DEFAULT_TOKEN_POLICY);
    expect(DEFAULT_TOKEN_POLICY).toEqual({
      defaultTtlMs: 90 * 86_400_000,
      maxTtlMs: 365 * 86_400_000,
      allowNoExpiry: false,
    });
  });

  it("reads TOKEN_DEFAULT_TTL, TOKEN_MAX_TTL and TOKEN_ALLOW_NO_EXPIRY", () => {
    const config = loadConfig({
      ...base,
      TOKEN_DEFAULT_TTL: "7d",
      TOKEN_MAX_TTL: "30d",
      TOKEN_ALLOW_NO_EXPIRY: "true",
    });
    expect(config.tokens).toEqual({ defaultTtlMs: 7 * 86_400_000, maxTtlMs: 30 * 86_400_000, allowNoExpiry: true });
  });

  it("refuses bad values with a line naming the variable", () => {
    expect(() => parseEnv({ ...base, TOKEN_ALLOW_NO_EXPIRY: "sometimes" })).toThrow(
      /TOKEN_ALLOW_NO_EXPIRY: must be true or false/,
    );
    expect(() => parseEnv({ ...base, TOKEN_MAX_TTL: "forever" })).toThrow(/TOKEN_MAX_TTL: must be a duration/);
    expect(() => parseEnv({ ...base, TOKEN_DEFAULT_TTL: "400d" })).toThrow(ConfigError);
    expect(() => parseEnv({ ...base, TOKEN_DEFAULT_TTL: "400d" })).toThrow(
      /TOKEN_DEFAULT_TTL: must not be longer than TOKEN_MAX_TTL/,
    );
  });
});
