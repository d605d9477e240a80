import { randomUUID } from "node:crypto";
import type { AppContext } from "../context.server";
import { erpHttpAdapter } from "../destinations/erpHttp.server";
import { amazonListingsAdapter } from "../feeds/amazonListings.server";
import { sellableQuantities } from "../feeds/amazonQuantities.server";
import { productMetafields } from "../feeds/metafields.server";
import { sftpFilesAdapterWith } from "../destinations/sftp/adapter.server";
import { googleFeedAdapter } from "../feeds/google/adapter.server";
import { type AdapterRegistry, adapterRegistry } from "./adapters";
import { type PipelineDeps, runDueDestination } from "./runs.server";
import { startTicker } from "./ticker";

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
  return startTicker(
    async (stopped) => {
      // One due destination after another until none is: a run holds the database a page at a time only.
      while (!stopped() && (await runDueDestination(deps)));
    },
    { everyMs: options.tickMs ?? 5_000, failure: "destination runs failed" },
  );
}
