import type { Metadata } from "next";
import { EncryptionKeys } from "@/components/admin/encryption-keys";
import { requireAdmin } from "../../_lib/session";

export const metadata: Metadata = { title: "Encryption keys" };

/** The data-encryption keyring (the admin layout has already checked that this is a signed-in admin). */
export default async function AdminKeysPage() {
  // The proxy already refused non-admins (proxy.ts guardAdminPages); this page never relies on that alone.
  await requireAdmin();
  return (
    <>
      <h1 className="text-xl font-semibold">Encryption keys</h1>
      <p className="max-w-3xl text-sm text-slate-600">
        Contacts&apos; email, phone and notes are stored encrypted (AES-256-GCM); each stored value names the key that
        sealed it. New values use the active key. After a rotation, re-encryption moves the older values to it, and a
        key can be removed once no value uses it. Rotate and re-encrypt here (or with{" "}
        <code className="font-mono text-xs">gatehouse keys rotate</code> and{" "}
        <code className="font-mono text-xs">gatehouse keys reencrypt</code>); removing a key stays with the command line
        (<code className="font-mono text-xs">gatehouse keys remove --id ID</code>). This page shows ids, fingerprints
        and counts, never a key.
      </p>
      <EncryptionKeys />
    </>
  );
}
