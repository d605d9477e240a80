import { randomUUID } from "node:crypto";
import type { AppContext } from "../context.server";
import { erpHttpAdapter } from "../destinations/erpHttp.server";
import { amazonListingsAdapter } from "../feeds/amazonListings.server";
import { sellableQuantities } from "../feeds/amazonQuantities.server";
import { productMetafields } from "../feeds/metafields.server";
import { sftpFilesAdapterWith } from "../destinations/sftp/adapter.server";
import { googleFeedAdapter } from "../feeds/google/adapter.server";
import { log } from "../observability/log.server";
import { type AdapterRegistry, adapterRegistry } from "./adapters";
import { type PipelineDeps, runDueDestination } from "./runs.server";

/** The destination kinds this process publishes to, through its outbound registry. */
export function processAdapters(context: AppContext): AdapterRegistry {
  return adapterRegistry([
    erpHttpAdapter({ registry: context.outbound }),
    sftpFilesAdapterWith({ registry: context.outbound }),
    amazonListingsAdapter({ registry: context.outbound, quantities: sellableQuantities(context.db.sql), metafields: productMetafields(context.db.sql) }),
    googleFeedAdapter({ sql: context.db.sql }),
  ]);
}

export function pipelineDepsFor(context: AppContext, owner = `${process.pid}-${randomUUID().slice(0, 8)}`): PipelineDeps {
  return { sql: context.db.sql, encryptionKey: context.config.encryptionKey, adapters: processAdapters(context), owner };
}

/**
 * Every process's background work ticks the destinations: each tick runs whatever is due (its
 * cadence came, its backlog passed the threshold, staff asked) until nothing is; leases keep two
 * processes off one destination. Resolves the stop once the current run finished.
 */
export function startDestinationRuns(deps: PipelineDeps, options: { tickMs?: number } = {}): () => Promise<void> {
  let stopped = false;
  let busy = false;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    if (busy || stopped) return;
    busy = true;
    running = (async () => {
      // One due destination after another until none is: a run holds the database a page at a time only.
      while (!stopped && (await runDueDestination(deps)));
    })()
      .catch((error: unknown) => log.warn("destination runs failed", { error }))
      .finally(() => {
        busy = false;
      });
  };
  const timer = setInterval(tick, options.tickMs ?? 5_000);
  tick();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
