import type { Metadata } from "next";
import { UsersManager } from "@/components/admin/users-manager";

export const metadata: Metadata = { title: "Users" };

export default function AdminUsersPage() {
  return (
    <>
      <h1 className="text-xl font-semibold">Users</h1>
      <UsersManager />
    </>
  );
}
