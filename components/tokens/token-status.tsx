import { Badge } from "../ui";

export function TokenStatusBadge({ token }: { token: { status: string; graceUntil: string | null } }) {
  if (token.status === "active" && token.graceUntil) return <Badge tone="amber">rotating out</Badge>;
  const tone = token.status === "active" ? "green" : token.status === "expired" ? "amber" : "red";
  return <Badge tone={tone}>{token.status}</Badge>;
}
