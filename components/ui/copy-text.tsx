"use client";

import { useState } from "react";
import { toast } from "./toast";

/**
 * An id (tok_…, usr_…) shown in full, in monospace, with a button that copies it: what a
 * rate-limit override or an API call asks for. Without clipboard access (an insecure origin, a
 * refused permission) the text stays selectable and a toast says to copy it by hand.
 */
export function CopyText({ value, label }: { value: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span className="inline-flex items-center gap-1">
      <code className="font-mono text-xs select-all" data-testid="copy-text-value">
        {value}
      </code>
      <button
        type="button"
        aria-label={`Copy ${label ?? value}`}
        className="rounded px-1 text-xs text-brand-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-brand-500"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(value);
            setCopied(true);
            setTimeout(() => setCopied(false), 2_000);
          } catch {
            toast.error("Could not copy to the clipboard", "Select the text and copy it by hand.");
          }
        }}
      >
        {copied ? "Copied" : "Copy"}
      </button>
    </span>
  );
}
