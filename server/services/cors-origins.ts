import { asc, count, eq } from "drizzle-orm";
import type { Executor } from "@/db";
import { type CorsOriginRow, corsOrigins } from "@/db/schema";
import { AppError, notFound } from "../errors";
import { newId } from "../ids";
import { CORS_NOTE_MAX, parseOriginInput, WILDCARD } from "../security/cors";
import { type Actor, recordAudit } from "./audit";
import type { ServiceContext } from "./context";

/**
 * The CORS allow-list: add, remove, toggle credentials, list. Called by the
 * dashboard (admin.cors), the CLI (`gatehouse cors …`) and tests alike; every
 * change writes its audit entry in the same transaction. The per-request
 * check reads the same table (security/cors.ts) with no cache, so a change
 * counts from the next request on.
 */

export interface CorsOriginSummary {
  id: string;
  origin: string;
  note: string | null;
  allowCredentials: boolean;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A bound on the list, so a script gone wrong cannot fill the table (each entry is a decision a person made). */
export const MAX_CORS_ORIGINS = 500;

function toSummary(row: CorsOriginRow): CorsOriginSummary {
  return {
    id: row.id,
    origin: row.origin,
    note: row.note,
    allowCredentials: row.allowCredentials,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * How the audit detail names the credentials setting. Not `allowCredentials`:
 * the shared redaction step drops any key that mentions credentials.
 */
function modeOf(allowCredentials: boolean): "with_credentials" | "without_credentials" {
  return allowCredentials ? "with_credentials" : "without_credentials";
}

function actorName(actor: Actor): string | null {
  return actor.kind === "cli" || actor.kind === "system" ? actor.kind : actor.id;
}

export async function listCorsOrigins(db: Executor): Promise<CorsOriginSummary[]> {
  return (await db.select().from(corsOrigins).orderBy(asc(corsOrigins.origin)).all()).map(toSummary);
}

export async function findCorsOrigin(db: Executor, origin: string): Promise<CorsOriginSummary | null> {
  const row = await db.select().from(corsOrigins).where(eq(corsOrigins.origin, origin)).get();
  return row ? toSummary(row) : null;
}

export interface AddCorsOriginInput {
  origin: string;
  note?: string | null;
  allowCredentials?: boolean;
  /** `*` must be asked for explicitly: it lets every site on the web read API answers (never with cookies). */
  confirmWildcard?: boolean;
}

/** Adds an origin; the error message says why an origin is refused. */
export async function addCorsOrigin(svc: ServiceContext, input: AddCorsOriginInput): Promise<CorsOriginSummary> {
  const parsed = parseOriginInput(input.origin);
  if (!parsed.ok) throw new AppError("BAD_REQUEST", parsed.reason, "invalid_origin");
  const origin = parsed.origin;
  const allowCredentials = input.allowCredentials ?? false;
  if (origin === WILDCARD) {
    if (allowCredentials) {
      throw new AppError(
        "BAD_REQUEST",
        "* cannot be combined with credentials: list each origin that needs cookies",
        "wildcard_with_credentials",
      );
    }
    if (!input.confirmWildcard) {
      throw new AppError(
        "BAD_REQUEST",
        "* lets every website read API answers (token calls only, never cookies); confirm it explicitly",
        "wildcard_unconfirmed",
      );
    }
  }
  const note = input.note?.trim() ? input.note.trim().slice(0, CORS_NOTE_MAX) : null;
  const now = svc.clock.now();
  return await svc.db.transaction(async (tx) => {
    if (await tx.select({ id: corsOrigins.id }).from(corsOrigins).where(eq(corsOrigins.origin, origin)).get()) {
      throw new AppError("CONFLICT", `${origin} is already on the list`, "origin_exists");
    }
    if (((await tx.select({ n: count() }).from(corsOrigins).get())?.n ?? 0) >= MAX_CORS_ORIGINS) {
      throw new AppError("CONFLICT", `At most ${MAX_CORS_ORIGINS} origins; remove some first`, "too_many_origins");
    }
    const row: CorsOriginRow = {
      id: newId("corsOrigin"),
      origin,
      note,
      allowCredentials,
      createdBy: actorName(svc.actor),
      createdAt: now,
      updatedAt: now,
    };
    await tx.insert(corsOrigins).values(row).run();
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "cors.add",
      target: { type: "cors_origin", id: row.id },
      client: svc.client,
      detail: { origin, mode: modeOf(allowCredentials), note },
    });
    return toSummary(row);
  });
}

/** Removes an entry (by id or by its origin); refused on the very next request. */
export async function removeCorsOrigin(
  svc: ServiceContext,
  ref: { id: string } | { origin: string },
): Promise<CorsOriginSummary> {
  return await svc.db.transaction(async (tx) => {
    const row = await tx
      .select()
      .from(corsOrigins)
      .where("id" in ref ? eq(corsOrigins.id, ref.id) : eq(corsOrigins.origin, ref.origin))
      .get();
    if (!row) throw notFound("CORS origin");
    await tx.delete(corsOrigins).where(eq(corsOrigins.id, row.id)).run();
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "cors.remove",
      target: { type: "cors_origin", id: row.id },
      client: svc.client,
      detail: { origin: row.origin, mode: modeOf(row.allowCredentials) },
    });
    return toSummary(row);
  });
}

/** Turns credentials (cookies, and cookie-authenticated writes) on or off for one origin; never for `*`. */
export async function setCorsCredentials(
  svc: ServiceContext,
  id: string,
  allowCredentials: boolean,
): Promise<CorsOriginSummary> {
  const now = svc.clock.now();
  return await svc.db.transaction(async (tx) => {
    const row = await tx.select().from(corsOrigins).where(eq(corsOrigins.id, id)).get();
    if (!row) throw notFound("CORS origin");
    if (row.origin === WILDCARD && allowCredentials) {
      throw new AppError(
        "BAD_REQUEST",
        "* cannot be combined with credentials: list each origin that needs cookies",
        "wildcard_with_credentials",
      );
    }
    if (row.allowCredentials === allowCredentials) return toSummary(row);
    await tx.update(corsOrigins).set({ allowCredentials, updatedAt: now }).where(eq(corsOrigins.id, id)).run();
    await recordAudit(tx, svc.clock, {
      actor: svc.actor,
      action: "cors.set_credentials",
      target: { type: "cors_origin", id },
      client: svc.client,
      detail: { origin: row.origin, mode: modeOf(allowCredentials) },
    });
    return toSummary({ ...row, allowCredentials, updatedAt: now });
  });
}
