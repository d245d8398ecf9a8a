"use client";

import { useState } from "react";

/**
 * Keyset paging state for lists that return `nextCursor`: a stack of the
 * cursors that led to each page, so Previous goes back exactly. (tRPC's
 * infinite queries add a `direction` key that our strict inputs refuse.)
 */
export function useCursorPages<C>() {
  const [stack, setStack] = useState<C[]>([]);
  return {
    cursor: stack.at(-1),
    page: stack.length + 1,
    hasPrevious: stack.length > 0,
    next: (cursor: C) => setStack((s) => [...s, cursor]),
    previous: () => setStack((s) => s.slice(0, -1)),
    reset: () => setStack([]),
  };
}
