import { hostname } from "node:os";
import type { AppContext } from "../context.server";
import { createPriceActivator } from "./activator.server";
import { storePriceListPush, storePricePush } from "./storePush.server";

/** The price activator of this process (every process runs one; leases keep them off each other's rows). */
export function startPriceActivation(context: AppContext): () => Promise<void> {
  return createPriceActivator({
    sql: context.db.sql,
    workerId: `${hostname()}:${process.pid}:prices`,
    push: storePricePush(context),
    pushList: storePriceListPush(context),
    leaseMs: context.config.prices.leaseMs,
    // Activation lag (planned → applied at the store) in the "prices" roll-ups: the dashboard's latency table and the price activation objective.
    onApplied: (applied) => {
      for (const one of applied) context.metrics.recordSyncLatency({ shopId: one.shopId, domain: "prices", stage: "applied", occurredAt: one.validFrom, at: one.appliedAt });
    },
  }).start();
}
