"use client";

import type { ReactNode } from "react";
import type { useCursorPages } from "../use-cursor-pages";
import { Button } from "./index";

/**
 * Previous/Next under a keyset-paged list (useCursorPages): shown only when
 * there is another page either way. The labels can follow the list's order
 * (the audit log says Newer/Older).
 */
export function CursorPager({
  pages,
  nextCursor,
  previousLabel = "Previous",
  nextLabel = "Next",
}: {
  pages: ReturnType<typeof useCursorPages<string>>;
  nextCursor: string | null | undefined;
  previousLabel?: ReactNode;
  nextLabel?: ReactNode;
}) {
  if (!pages.hasPrevious && !nextCursor) return null;
  return (
    <div className="mt-4 flex justify-end gap-2">
      <Button variant="secondary" onClick={pages.previous} disabled={!pages.hasPrevious}>
        {previousLabel}
      </Button>
      <Button variant="secondary" onClick={() => nextCursor && pages.next(nextCursor)} disabled={!nextCursor}>
        {nextLabel}
      </Button>
    </div>
  );
}
