import { randomUUID } from "node:crypto";
import type { AppContext } from "../context.server";
import type { Sql } from "../db/database.server";
import { log } from "../observability/log.server";
import type { LimiterRegistry } from "../outbound/limiterRegistry.server";
import { listInstalledShops } from "../shops/sql/findShop";
import { measureObjectives } from "./measure.server";
import { deliverNotifications } from "./notify.server";
import { type BudgetStatus, OBJECTIVES, OBJECTIVE_KEYS, type ObjectiveKey, budgetStatus, nextObjectiveState } from "./objectives";
import { getSloPolicy } from "./policy.server";
import { claimProcessLease, releaseProcessLease } from "./sql/claimProcessLease";
import { noteWorstValue, openIncident, readSloStates, resolveIncident, saveSloState } from "./sql/sloRows";

export const EVALUATOR_LEASE = "slo-evaluator";

export interface EvaluationResult {
  opened: { shopId: string; objective: ObjectiveKey; incidentId: string }[];
  resolved: { shopId: string; objective: ObjectiveKey; incidentId: string }[];
}

/**
 * Evaluates one shop's objectives: measured values against its thresholds, damped (see
 * nextObjectiveState); a breach opens an incident once, a recovery resolves it once, each with
 * its notification owed in the same transaction.
 */
export async function evaluateShop(sql: Sql, shopId: string, now: Date): Promise<EvaluationResult> {
  const { thresholds } = await getSloPolicy(sql, shopId);
  const values = await measureObjectives(sql, shopId, now);
  return sql.transaction(async (tx) => {
    const result: EvaluationResult = { opened: [], resolved: [] };
    const states = new Map((await readSloStates(tx, shopId, { lock: true })).map((row) => [row.objective, row]));
    for (const objective of OBJECTIVE_KEYS) {
      const current = states.get(objective) ?? { breached: false, streak: 0, incidentId: null };
      const value = values[objective];
      const next = nextObjectiveState(current, value, thresholds[objective]);
      let incidentId = current.incidentId;
      if (next.opened && value !== null) {
        incidentId = await openIncident(tx, { shopId, objective, threshold: thresholds[objective], value, at: now });
        result.opened.push({ shopId, objective, incidentId });
      } else if (next.resolved && incidentId) {
        if (await resolveIncident(tx, incidentId, now)) result.resolved.push({ shopId, objective, incidentId });
        incidentId = null;
      } else if (next.breached && incidentId && value !== null) {
        await noteWorstValue(tx, incidentId, value);
      }
      await saveSloState(tx, shopId, { objective, breached: next.breached, streak: next.streak, incidentId, value, evaluatedAt: now });
    }
    return result;
  });
}

/** Every installed shop, one after another; one shop failing does not stop the others. */
export async function evaluateAllShops(sql: Sql, now: Date): Promise<EvaluationResult> {
  const shops = await listInstalledShops(sql);
  const total: EvaluationResult = { opened: [], resolved: [] };
  for (const shop of shops) {
    try {
      const result = await evaluateShop(sql, shop.id, now);
      total.opened.push(...result.opened);
      total.resolved.push(...result.resolved);
    } catch (error) {
      log.warn("objective evaluation failed for a shop", { shopId: shop.id, error });
    }
  }
  for (const incident of total.opened) log.warn("objective breached: incident opened", incident);
  for (const incident of total.resolved) log.info("objective recovered: incident resolved", incident);
  return total;
}

export interface SloEvaluatorDeps {
  sql: Sql;
  encryptionKey: string;
  registry: LimiterRegistry;
  everyMs: number;
  owner?: string;
  now?: () => Date;
  fetch?: typeof fetch;
}

/**
 * The one evaluator of the deployment: every process runs this loop, the one holding the
 * `slo-evaluator` lease evaluates and sends the notifications; if it dies, its lease runs out and
 * another takes over.
 */
export function startSloEvaluator(deps: SloEvaluatorDeps): { tick: () => Promise<boolean>; stop: () => Promise<void> } {
  const owner = deps.owner ?? `slo-${randomUUID()}`;
  const now = deps.now ?? (() => new Date());
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const tick = async (): Promise<boolean> => {
    if (stopped) return false;
    if (!(await claimProcessLease(deps.sql, EVALUATOR_LEASE, owner, deps.everyMs * 3, now()))) return false;
    await evaluateAllShops(deps.sql, now());
    await deliverNotifications({ sql: deps.sql, encryptionKey: deps.encryptionKey, registry: deps.registry, now, fetch: deps.fetch });
    return true;
  };
  const timer = setInterval(() => {
    running = tick().catch((error: unknown) => log.warn("objective evaluation failed", { error }));
  }, deps.everyMs);
  timer.unref();
  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await releaseProcessLease(deps.sql, EVALUATOR_LEASE, owner).catch(() => undefined);
    },
  };
}

/** The background loop of one process (app/background.server.ts). */
export function startProcessSloEvaluator(context: AppContext): () => Promise<void> {
  const evaluator = startSloEvaluator({
    sql: context.db.sql,
    encryptionKey: context.config.encryptionKey,
    registry: context.outbound,
    everyMs: context.config.observability.sloEvaluateSeconds * 1000,
  });
  return evaluator.stop;
}

export interface ObjectiveView {
  key: ObjectiveKey;
  label: string;
  unit: string;
  threshold: number;
  value: number | null;
  status: BudgetStatus;
  evaluatedAt: Date | null;
}

/** What the dashboard shows per objective: within budget, at risk, breached (an incident is open) or no data. */
export async function objectiveViews(sql: Sql, shopId: string): Promise<ObjectiveView[]> {
  const { thresholds } = await getSloPolicy(sql, shopId);
  const states = new Map((await readSloStates(sql, shopId)).map((row) => [row.objective, row]));
  return OBJECTIVE_KEYS.map((key) => {
    const state = states.get(key);
    const value = state?.value ?? null;
    return {
      key,
      label: OBJECTIVES[key].label,
      unit: OBJECTIVES[key].unit,
      threshold: thresholds[key],
      value,
      status: budgetStatus(value, thresholds[key], Boolean(state?.breached)),
      evaluatedAt: state?.evaluatedAt ?? null,
    };
  });
}
