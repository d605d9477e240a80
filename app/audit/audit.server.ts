import { LockstepError } from "../config/errors";
import type { SqlRunner } from "../db/database.server";
import { AUDIT_RETENTION_DAYS } from "./retention";
import { readAuditRetention, writeAuditRetention } from "./sql/auditRetention";
import { deleteExpiredAuditEntries } from "./sql/deleteExpiredAuditEntries";
import { insertAuditEntry } from "./sql/insertAuditEntry";
import { listAuditEntries } from "./sql/listAuditEntries";

// The staff audit trail: every staff action (settings, tokens, replays, rollbacks, destination
// changes, price schedules) calls recordAudit with who, what, on what, and the values before and
// after. Secrets never reach it: values under secret-looking keys are replaced.

export interface AuditInput {
  shopId: string;
  /** The staff member as authenticateStaff names them, `cli` or `system`. */
  actor: string;
  /** `<thing>.<verb>`: settings.update, api_token.issue, dead_letters.replay, destination.create, run.rollback, price_schedule.create, … */
  action: string;
  /** What was acted on (a destination id, a run id, …); empty for shop-wide settings. */
  target?: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditEntry {
  id: string;
  shopId: string;
  actor: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  at: Date;
}

const SECRET_KEY = /secret|token|password|credential|apikey|api_key|private/i;

/** A copy of `value` with anything under a secret-looking key replaced by "[redacted]". */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, SECRET_KEY.test(key) ? "[redacted]" : withoutSecrets(inner)]));
  }
  return typeof value === "bigint" ? value.toString() : value;
}

/** Records one staff action. Pass the caller's transaction as `sql` so the record commits with the change. */
export async function recordAudit(sql: SqlRunner, input: AuditInput, at: Date = new Date()): Promise<string> {
  if (!/^[a-z_]+\.[a-z_]+$/.test(input.action)) throw new Error(`audit action must read <thing>.<verb>, got ${input.action}`);
  const json = (value: unknown) => (value === undefined ? null : JSON.stringify(withoutSecrets(value)));
  return insertAuditEntry(sql, { shopId: input.shopId, actor: input.actor.slice(0, 300), action: input.action, target: (input.target ?? "").slice(0, 300), before: json(input.before), after: json(input.after), at });
}

export interface AuditFilter {
  action?: string;
  actor?: string;
  target?: string;
  from?: Date;
  to?: Date;
  /** Entries older than this id (the next page). */
  beforeId?: string;
  limit?: number;
}

/** One shop's audit trail, newest first, filtered; never another shop's. */
export async function listAudit(sql: SqlRunner, shopId: string, filter: AuditFilter = {}): Promise<AuditEntry[]> {
  return listAuditEntries(sql, shopId, { ...filter, limit: Math.min(filter.limit ?? 50, 500) });
}

/** Retention: each shop's entries older than its retention (its own, else `defaultDays`) before `now` go. */
export async function purgeAudit(sql: SqlRunner, now: Date, defaultDays: number): Promise<number> {
  return deleteExpiredAuditEntries(sql, now, defaultDays);
}

export interface AuditRetention {
  days: number;
  /** True when the shop has no retention of its own and the deployment's default applies. */
  isDefault: boolean;
}

export async function getAuditRetention(sql: SqlRunner, shopId: string, defaultDays: number): Promise<AuditRetention> {
  const own = await readAuditRetention(sql, shopId);
  return own === null ? { days: defaultDays, isDefault: true } : { days: own, isDefault: false };
}

/**
 * Sets the shop's retention from staff input: whole days within AUDIT_RETENTION_DAYS, or empty for
 * the default. Returns before and after for the audit log; a bad value changes nothing.
 */
export async function setAuditRetention(sql: SqlRunner, shopId: string, raw: unknown, defaultDays: number, now = new Date()): Promise<{ before: AuditRetention; after: AuditRetention }> {
  const text = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw.trim() : undefined;
  if (text === undefined) throw new LockstepError("invalid_audit_retention", "The retention must be a number of days", { field: "days" });
  let days: number | null = null;
  if (text !== "") {
    days = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(days) || days < AUDIT_RETENTION_DAYS.min || days > AUDIT_RETENTION_DAYS.max) {
      throw new LockstepError("invalid_audit_retention", `Keep audit entries between ${AUDIT_RETENTION_DAYS.min} and ${AUDIT_RETENTION_DAYS.max} whole days, or leave it empty for the default (${defaultDays})`, { field: "days" });
    }
  }
  const before = await getAuditRetention(sql, shopId, defaultDays);
  await writeAuditRetention(sql, shopId, days, now);
  return { before, after: days === null ? { days: defaultDays, isDefault: true } : { days, isDefault: false } };
}
