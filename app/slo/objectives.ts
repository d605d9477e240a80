// The objectives every shop is held to (defaults from the product's service levels); a shop's
// policy may override any threshold. A measured value above its threshold is a breach.

export const OBJECTIVES = {
  inventory_latency_p95_ms: { label: "Inventory changes applied (p95)", unit: "ms", threshold: 2_000 },
  orders_latency_p95_ms: { label: "Orders applied (p95)", unit: "ms", threshold: 2_000 },
  availability_cache_seconds: { label: "Availability cache age", unit: "s", threshold: 30 },
  catalog_freshness_hours: { label: "Catalog pushed to destinations", unit: "h", threshold: 24 },
  reconciliation_variance: { label: "Reconciliation variance", unit: "ratio", threshold: 0.001 },
  consumer_lag: { label: "Consumer lag (waiting items)", unit: "items", threshold: 1_000 },
  feed_freshness_hours: { label: "Marketplace feeds refreshed", unit: "h", threshold: 2 },
  price_activation_lag_p95_ms: { label: "Price activations applied (p95)", unit: "ms", threshold: 60_000 },
} as const;

export type ObjectiveKey = keyof typeof OBJECTIVES;
export const OBJECTIVE_KEYS = Object.keys(OBJECTIVES) as ObjectiveKey[];

export type Thresholds = Record<ObjectiveKey, number>;

export function defaultThresholds(): Thresholds {
  return Object.fromEntries(OBJECTIVE_KEYS.map((key) => [key, OBJECTIVES[key].threshold])) as Thresholds;
}

/** The shop's thresholds: its overrides (positive numbers for known objectives) over the defaults. */
export function thresholdsOf(overrides: unknown): Thresholds {
  const thresholds = defaultThresholds();
  if (overrides && typeof overrides === "object") {
    for (const [key, value] of Object.entries(overrides)) {
      if (key in OBJECTIVES && typeof value === "number" && Number.isFinite(value) && value > 0) thresholds[key as ObjectiveKey] = value;
    }
  }
  return thresholds;
}

export type BudgetStatus = "no_data" | "within" | "at_risk" | "breached";

/** Past 80 % of its threshold an objective is at risk; an open incident makes it breached. */
export function budgetStatus(value: number | null, threshold: number, incidentOpen: boolean): BudgetStatus {
  if (incidentOpen) return "breached";
  if (value === null) return "no_data";
  if (value > threshold) return "at_risk";
  return value > 0.8 * threshold ? "at_risk" : "within";
}

/** Damping: evaluations in a row needed before a breach opens an incident, or a recovery resolves it. */
export const OPEN_AFTER = 2;
export const RESOLVE_AFTER = 3;

export interface ObjectiveState {
  breached: boolean;
  /** Evaluations in a row that disagreed with `breached`. */
  streak: number;
}

/**
 * One evaluation's effect on an objective: a flip needs OPEN_AFTER breaching (RESOLVE_AFTER
 * healthy) evaluations in a row, so a value wobbling around its threshold opens nothing. No data
 * counts as neither: the streak holds.
 */
export function nextObjectiveState(state: ObjectiveState, value: number | null, threshold: number): ObjectiveState & { opened: boolean; resolved: boolean } {
  if (value === null) return { ...state, opened: false, resolved: false };
  const breachingNow = value > threshold;
  if (breachingNow === state.breached) return { breached: state.breached, streak: 0, opened: false, resolved: false };
  const streak = state.streak + 1;
  const needed = state.breached ? RESOLVE_AFTER : OPEN_AFTER;
  if (streak < needed) return { breached: state.breached, streak, opened: false, resolved: false };
  return { breached: breachingNow, streak: 0, opened: breachingNow, resolved: !breachingNow };
}
