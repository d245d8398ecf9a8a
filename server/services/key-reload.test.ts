import { describe, expect, it } from "vitest";
import { KeyringMismatchError } from "../crypto/sealed-data";
import { createTestRuntime } from "../testing/harness";
import { acceptReloadedKeys, assertKeyringFits } from "./key-check";

/**
 * A keyring read again while the server runs (secrets.json changed) is refused at once when it holds
 * another key under an id the database recorded — on either store: on PostgreSQL against what the process
 * read at start, since the keyring cannot wait for a query.
 */
describe("a reloaded keyring", () => {
  it("is refused when a recorded id comes with another key, and taken when it only adds a key", async () => {
    const rt = createTestRuntime();
    await assertKeyringFits(rt.db, rt.keyring, rt.clock);
    const [k1] = rt.keyring.describe();
    expect(() =>
      acceptReloadedKeys(rt.db, [{ id: k1?.id as string, fingerprint: "0000000000000000" }], rt.clock),
    ).toThrow(KeyringMismatchError);
    expect(() =>
      acceptReloadedKeys(
        rt.db,
        [k1 as { id: string; fingerprint: string }, { id: "k2", fingerprint: "1111111111111111" }],
        rt.clock,
      ),
    ).not.toThrow();
  });
});
