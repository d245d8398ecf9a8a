import { headers } from "next/headers";
import { ToasterClient } from "./toaster-client";

/**
 * Mounted once in the root layout. A server component so it can read this request's CSP nonce
 * (proxy.ts sets x-nonce on page requests) and pass it to the client part; see toaster-client.tsx.
 */
export async function Toaster() {
  const nonce = (await headers()).get("x-nonce") ?? undefined;
  return <ToasterClient nonce={nonce} />;
}
