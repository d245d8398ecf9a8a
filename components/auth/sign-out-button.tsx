"use client";

import { useRouter } from "next/navigation";
import { signOut } from "next-auth/react";
import { useState } from "react";
import { Button } from "../ui";

export function SignOutButton() {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  return (
    <Button
      variant="secondary"
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        // POST /api/auth/signout with NextAuth's CSRF token; the server deletes the session row.
        await signOut({ redirect: false });
        router.replace("/signin?reason=signed_out");
        router.refresh();
      }}
    >
      Sign out
    </Button>
  );
}
