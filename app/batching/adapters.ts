import { LockstepError } from "../config/errors";
import type { DestinationAdapter, DestinationKind } from "./types";

/** The destination kinds this process can publish to: one adapter per kind. */
export interface AdapterRegistry {
  adapterFor(kind: DestinationKind): DestinationAdapter;
}

export function adapterRegistry(adapters: DestinationAdapter[]): AdapterRegistry {
  const byKind = new Map(adapters.map((adapter) => [adapter.kind, adapter]));
  return {
    adapterFor(kind) {
      const adapter = byKind.get(kind);
      if (!adapter) throw new LockstepError("destination_kind_unavailable", `Destinations of kind ${kind} are not available yet`, { field: "kind" });
      return adapter;
    },
  };
}
