/**
 * The dashboard's result messages: `toast.success("Revoked “ci-deploy”.")` from any client component,
 * shown by the one <Toaster /> in the root layout (components/ui/toaster.tsx). A module-level store, so
 * callers need no provider or hook; only text is shown, never markup.
 */
export type ToastKind = "success" | "error" | "info";

export interface ToastMessage {
  id: number;
  kind: ToastKind;
  title: string;
  description?: string;
}

type Listener = () => void;

const NONE: readonly ToastMessage[] = Object.freeze([]);
let nextId = 1;
let messages: readonly ToastMessage[] = [];
const listeners = new Set<Listener>();
// More at once is noise: the oldest goes first.
const MAX_SHOWN = 5;

function emit() {
  for (const listener of listeners) listener();
}

function push(kind: ToastKind, title: string, description?: string): number {
  const id = nextId++;
  messages = [...messages, { id, kind, title, description }].slice(-MAX_SHOWN);
  emit();
  return id;
}

export const toast = {
  success: (title: string, description?: string) => push("success", title, description),
  error: (title: string, description?: string) => push("error", title, description),
  info: (title: string, description?: string) => push("info", title, description),
  dismiss(id: number) {
    messages = messages.filter((m) => m.id !== id);
    emit();
  },
};

/** For the Toaster (useSyncExternalStore). */
export const toastStore = {
  subscribe(listener: Listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  snapshot: () => messages,
  // The same array each time: React requires a stable server snapshot.
  serverSnapshot: (): readonly ToastMessage[] => NONE,
};
