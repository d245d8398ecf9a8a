import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration";
import { ConfigError, parseEnv } from "./env";

/** Runs parseEnv and returns the ConfigError it throws (failing the test if it does not throw one). */
function configErrorOf(source: Record<string, string | undefined>): ConfigError {
  try {
    parseEnv(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`parseEnv accepted ${JSON.stringify(source)}`);
}

describe("parseEnv", () => {
  it("applies the documented defaults to an empty environment", () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(3000);
    expect(path.isAbsolute(env.DATA_DIR)).toBe(true);
    expect(env.DATA_DIR).toBe(path.resolve("data"));
    expect(env.LOG_LEVEL).toBe("info");
    expect(env.SESSION_IDLE_TIMEOUT).toBe(30 * 60_000);
    expect(env.SESSION_ABSOLUTE_TIMEOUT).toBe(8 * 3_600_000);
    expect(env.APP_URL).toBeUndefined();
    expect(env.AUTH_SECRET).toBeUndefined();
    expect(env.ADMIN_EMAIL).toBeUndefined();
    expect(env.ADMIN_PASSWORD).toBeUndefined();
    expect(env.TRUSTED_PROXIES).toBe("");
    expect(env.MAX_BODY_BYTES).toBe(1024 * 1024);
  });

  it("reads good values, resolving a relative DATA_DIR and treating blank optional strings as absent", () => {
    const env = parseEnv({
      PORT: "8080",
      DATA_DIR: "./some/where",
      APP_URL: "https://api.example.com",
      AUTH_SECRET: "s".repeat(32),
      ADMIN_EMAIL: "root@example.com",
      ADMIN_PASSWORD: "a long enough password",
      LOG_LEVEL: "debug",
      SESSION_IDLE_TIMEOUT: "15m",
      SESSION_ABSOLUTE_TIMEOUT: "1d",
      MAX_BODY_BYTES: "4096",
    });
    expect(env.PORT).toBe(8080);
    expect(env.DATA_DIR).toBe(path.resolve("some/where"));
    expect(env.APP_URL).toBe("https://api.example.com");
    expect(env.LOG_LEVEL).toBe("debug");
    expect(env.SESSION_IDLE_TIMEOUT).toBe(15 * 60_000);
    expect(env.SESSION_ABSOLUTE_TIMEOUT).toBe(86_400_000);
    expect(env.MAX_BODY_BYTES).toBe(4096);

    const blank = parseEnv({ APP_URL: "  ", AUTH_SECRET: "", ADMIN_EMAIL: "", ADMIN_PASSWORD: " " });
    expect(blank.APP_URL).toBeUndefined();
    expect(blank.AUTH_SECRET).toBeUndefined();
    expect(blank.ADMIN_EMAIL).toBeUndefined();
    expect(blank.ADMIN_PASSWORD).toBeUndefined();
  });

  const bad: Array<[string, Record<string, string>, string]> = [
    ["PORT not a number", { PORT: "abc" }, "PORT"],
    ["PORT out of range", { PORT: "70000" }, "PORT"],
    ["PORT not an integer", { PORT: "80.5" }, "PORT"],
    ["APP_URL with another scheme", { APP_URL: "ftp://x" }, "APP_URL"],
    ["APP_URL with a path", { APP_URL: "https://x/path" }, "APP_URL"],
    ["APP_URL with a query", { APP_URL: "https://x/?a=1" }, "APP_URL"],
    ["APP_URL not a URL", { APP_URL: "not a url" }, "APP_URL"],
    ["AUTH_SECRET too short", { AUTH_SECRET: "short-secret-123" }, "AUTH_SECRET"],
    ["ADMIN_EMAIL without ADMIN_PASSWORD", { ADMIN_EMAIL: "root@example.com" }, "ADMIN_PASSWORD"],
    ["ADMIN_PASSWORD without ADMIN_EMAIL", { ADMIN_PASSWORD: "a long enough password" }, "ADMIN_EMAIL"],
    ["ADMIN_EMAIL not an email", { ADMIN_EMAIL: "root", ADMIN_PASSWORD: "a long enough password" }, "ADMIN_EMAIL"],
    ["ADMIN_PASSWORD too short", { ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: "short-pw-11" }, "ADMIN_PASSWORD"],
    ["SESSION_IDLE_TIMEOUT malformed", { SESSION_IDLE_TIMEOUT: "5x" }, "SESSION_IDLE_TIMEOUT"],
    ["SESSION_ABSOLUTE_TIMEOUT zero", { SESSION_ABSOLUTE_TIMEOUT: "0m" }, "SESSION_ABSOLUTE_TIMEOUT"],
    ["LOG_LEVEL unknown", { LOG_LEVEL: "verbose" }, "LOG_LEVEL"],
    ["MAX_BODY_BYTES too small", { MAX_BODY_BYTES: "10" }, "MAX_BODY_BYTES"],
  ];

  for (const [label, source, variable] of bad) {
    it(`refuses ${label} with a one-line ConfigError naming ${variable}`, () => {
      const error = configErrorOf(source);
      expect(error.name).toBe("ConfigError");
      expect(error.message).not.toContain("\n");
      expect(error.message).toMatch(/^invalid configuration: /);
      expect(error.message).toContain(`${variable}: `);
    });
  }

  it("never echoes a secret value in the error", () => {
    const secret = "tooShortSecretValue";
    expect(configErrorOf({ AUTH_SECRET: secret }).message).not.toContain(secret);
    const password = "pw-tiny-123";
    expect(configErrorOf({ ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: password }).message).not.toContain(
      password,
    );
  });

  it("names every bad variable when several are wrong, still on one line", () => {
    const error = configErrorOf({ PORT: "abc", APP_URL: "ftp://x", SESSION_IDLE_TIMEOUT: "5x" });
    expect(error.message).not.toContain("\n");
    expect(error.message).toContain("PORT: ");
    expect(error.message).toContain("APP_URL: ");
    expect(error.message).toContain("SESSION_IDLE_TIMEOUT: ");
  });

  it("says what a duration must look like", () => {
    expect(configErrorOf({ SESSION_IDLE_TIMEOUT: "5x" }).message).toMatch(/SESSION_IDLE_TIMEOUT: must be a duration/);
  });
});

describe("parseDuration and formatDuration", () => {
  it("parses each unit into milliseconds", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("45s")).toBe(45_000);
    expect(parseDuration("30m")).toBe(1_800_000);
    expect(parseDuration("8h")).toBe(28_800_000);
    expect(parseDuration("90d")).toBe(90 * 86_400_000);
    expect(parseDuration(" 8h ")).toBe(28_800_000);
    expect(parseDuration("0s")).toBe(0);
  });

  it("returns null for anything malformed", () => {
    for (const input of ["", "5x", "m", "30", "1.5h", "-1m", "30 m", "30M", "1e3ms", "1234567890s", "30m30s"]) {
      expect(parseDuration(input), input).toBeNull();
    }
  });

  it("formats in the largest unit that divides exactly", () => {
    expect(formatDuration(1_800_000)).toBe("30m");
    expect(formatDuration(28_800_000)).toBe("8h");
    expect(formatDuration(86_400_000)).toBe("1d");
    expect(formatDuration(90_000)).toBe("90s");
    expect(formatDuration(1500)).toBe("1500ms");
    expect(formatDuration(36 * 3_600_000)).toBe("36h");
    expect(formatDuration(0)).toBe("0ms");
  });

  it("round-trips", () => {
    for (const text of ["30m", "8h", "7d", "90s", "250ms", "36h"]) {
      expect(formatDuration(parseDuration(text) as number)).toBe(text);
    }
  });
});
