export * from "./audit-log";
export * from "./contacts";
export * from "./sessions";
export * from "./users";
