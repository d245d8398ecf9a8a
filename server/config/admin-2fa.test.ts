import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "./env";

describe("ADMIN_2FA", () => {
  it("defaults to required and takes optional", () => {
    expect(parseEnv({}).ADMIN_2FA).toBe("required");
    expect(parseEnv({ ADMIN_2FA: "required" }).ADMIN_2FA).toBe("required");
    expect(parseEnv({ ADMIN_2FA: "optional" }).ADMIN_2FA).toBe("optional");
  });

  it.each(["off", "Required", "no", "false", ""])("refuses %j with a message naming the variable", (value) => {
    if (value === "") {
      // Blank is not "unset" for an enum: refused too, not silently the default.
      expect(() => parseEnv({ ADMIN_2FA: value })).toThrow(ConfigError);
    }
    let message = "";
    try {
      parseEnv({ ADMIN_2FA: value });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/ADMIN_2FA/);
    expect(message).toMatch(/required or optional/);
  });
});
