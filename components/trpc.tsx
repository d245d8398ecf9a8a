"use client";

import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type ReactNode, useState } from "react";
import type { AppRouter } from "@/server/root";

/** The typed frontend's only way to the server: tRPC with the session cookie, same origin. */
export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

// Must not exceed MAX_BATCH_SIZE in server/http/trpc-handler.ts.
const MAX_BATCH = 10;

/** The server's answer when the call has no live session (it expired, or was ended): httpStatus 401. */
export function isSignedOutError(error: unknown): boolean {
  return (
    error instanceof TRPCClientError &&
    (error.data?.code === "UNAUTHORIZED" || error.data?.httpStatus === 401 || error.shape?.data?.httpStatus === 401)
  );
}

let sentToSignIn = false;

/**
 * A call that answers 401 means the session this page was opened with is
 * gone: the browser goes to sign in, with this page as its return-to and a
 * hint for the sign-in page's line (which prefers what the server knows from
 * the dead cookie), once however many calls fail together.
 */
function sendToSignIn(error: unknown) {
  if (!isSignedOutError(error) || sentToSignIn || typeof window === "undefined") return;
  if (window.location.pathname === "/signin") return;
  sentToSignIn = true;
  const back = encodeURIComponent(window.location.pathname + window.location.search);
  window.location.assign(`/signin?callbackUrl=${back}&reason=expired`);
}

function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({ onError: sendToSignIn }),
    mutationCache: new MutationCache({ onError: sendToSignIn }),
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        // A 4xx will not get better by asking again.
        retry: (failures, error) =>
          !(error instanceof TRPCClientError && (error.data?.httpStatus ?? 500) < 500) && failures < 2,
      },
    },
  });
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/api/trpc", maxItems: MAX_BATCH })] }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

/** A message for the person in front of the screen, with field errors spelled out. */
export function errorMessage(error: unknown): string {
  if (isSignedOutError(error)) return "Your session has ended. Taking you to sign in…";
  if (error instanceof TRPCClientError) {
    const issues = error.data?.issues as Array<{ path: string; message: string }> | null | undefined;
    if (issues?.length) return issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    return error.message;
  }
  return "Something went wrong. Try again.";
}
