import { adapterRegistry } from "../batching/adapters";
import { createDestination, listDestinations, updateDestination } from "../batching/destinations.server";
import type { DestinationAdapter } from "../batching/types";
import type { Database } from "../db/database.server";
import { createLimiterRegistry, type LimiterRegistry } from "../outbound/limiterRegistry.server";

/**
 * Finds the demo shop's destination by name and points it at this start's simulator (`perStart`:
 * ports and secrets change per start), or creates it with `perStart` and `settings`. Returns its id.
 */
export async function ensureDemoDestination(
  db: Database,
  options: {
    shopId: string;
    encryptionKey: string;
    name: string;
    adapter: (registry: LimiterRegistry) => DestinationAdapter;
    perStart: Record<string, unknown>;
    settings: Record<string, unknown>;
  },
): Promise<string> {
  // Only parseOptions is called here: no request leaves, the registry is closed at once.
  const registry = createLimiterRegistry();
  try {
    const deps = { sql: db.sql, encryptionKey: options.encryptionKey, adapters: adapterRegistry([options.adapter(registry)]) };
    const existing = (await listDestinations(db.sql, options.shopId)).find((destination) => destination.name === options.name);
    if (existing) return (await updateDestination(deps, options.shopId, existing.id, options.perStart)).id;
    return (await createDestination(deps, options.shopId, { name: options.name, ...options.perStart, ...options.settings })).id;
  } finally {
    await registry.close();
  }
}
