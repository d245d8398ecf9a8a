import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "./env";
import { loadConfig } from "./index";

describe("ADMIN_2FA", () => {
  it("defaults to required and takes optional", () => {
    expect(parseEnv({}).ADMIN_2FA).toBe("required");
    expect(parseEnv({ ADMIN_2FA: "required" }).ADMIN_2FA).toBe("required");
    expect(parseEnv({ ADMIN_2FA: "optional" }).ADMIN_2FA).toBe("optional");
  });

  it("reaches the configuration the server runs with (the gate and the posture check read it there)", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-2fa-config-"));
    try {
      expect(loadConfig({ DATA_DIR: dataDir }).secondFactors).toEqual({ admin: "required" });
      expect(loadConfig({ DATA_DIR: dataDir, ADMIN_2FA: "optional" }).secondFactors).toEqual({ admin: "optional" });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
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
