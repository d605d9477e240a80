import type { LimiterRegistry } from "./limiterRegistry.server";

/**
 * State that lives as long as one limiter registry, one entry per key (a shop's cost budget, a
 * store's quota, a destination's gate): the registry is the process's, so each process (and each
 * test's registry) gets its own, and it goes with the registry.
 */
export function perRegistry<T>(): (registry: LimiterRegistry) => Map<string, T> {
  const maps = new WeakMap<LimiterRegistry, Map<string, T>>();
  return (registry) => {
    let byKey = maps.get(registry);
    if (!byKey) {
      byKey = new Map();
      maps.set(registry, byKey);
    }
    return byKey;
  };
}
