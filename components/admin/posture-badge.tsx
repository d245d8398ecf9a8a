import type { PostureStatus } from "@/server/posture/types";

const LOOK: Record<PostureStatus, { label: string; mark: string; className: string }> = {
  pass: { label: "Pass", mark: "✓", className: "bg-emerald-100 text-emerald-900 ring-emerald-300" },
  warn: { label: "Warn", mark: "!", className: "bg-amber-100 text-amber-950 ring-amber-300" },
  fail: { label: "Fail", mark: "✕", className: "bg-red-100 text-red-900 ring-red-300" },
};

/**
 * A rule's verdict as a badge that reads without colour: a word and a mark
 * (✓ ! ✕), the colour only repeating them.
 */
export function PostureBadge({ status }: { status: PostureStatus }) {
  const look = LOOK[status];
  return (
    <span
      className={`inline-flex min-w-16 items-center gap-1 rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ${look.className}`}
      data-status={status}
    >
      <span aria-hidden="true">{look.mark}</span>
      {look.label}
    </span>
  );
}
