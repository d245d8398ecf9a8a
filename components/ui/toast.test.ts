import { describe, expect, it } from "vitest";
import { toast, toastStore } from "./toast";

describe("toast store", () => {
  it("keeps messages in order with their kind, tells subscribers, and dismisses by id", () => {
    const seen: number[] = [];
    const unsubscribe = toastStore.subscribe(() => seen.push(toastStore.snapshot().length));
    const a = toast.success("Revoked token “ci-deploy”.");
    const b = toast.error("Could not revoke", "tokens: not found");
    const c = toast.info("Nothing to clear.");
    expect(toastStore.snapshot().map((m) => [m.id, m.kind, m.title, m.description])).toEqual([
      [a, "success", "Revoked token “ci-deploy”.", undefined],
      [b, "error", "Could not revoke", "tokens: not found"],
      [c, "info", "Nothing to clear.", undefined],
    ]);
    expect(new Set([a, b, c]).size).toBe(3);
    toast.dismiss(b);
    expect(toastStore.snapshot().map((m) => m.id)).toEqual([a, c]);
    // An unknown id changes nothing but the notification.
    toast.dismiss(9_999);
    expect(toastStore.snapshot().map((m) => m.id)).toEqual([a, c]);
    expect(seen).toEqual([1, 2, 3, 2, 2]);
    unsubscribe();
    toast.dismiss(a);
    expect(seen).toHaveLength(5);
    toast.dismiss(c);
  });

  it("shows at most five at once, dropping the oldest", () => {
    const ids = Array.from({ length: 8 }, (_, i) => toast.success(`result ${i}`));
    expect(toastStore.snapshot().map((m) => m.id)).toEqual(ids.slice(3));
    // Each snapshot is a new array (useSyncExternalStore compares by identity); unchanged, the same one.
    const before = toastStore.snapshot();
    expect(toastStore.snapshot()).toBe(before);
    toast.info("one more");
    expect(toastStore.snapshot()).not.toBe(before);
  });

  it("renders nothing on the server", () => {
    toast.success("only in the browser");
    expect(toastStore.serverSnapshot()).toEqual([]);
    expect(toastStore.serverSnapshot()).toBe(toastStore.serverSnapshot());
  });
});
