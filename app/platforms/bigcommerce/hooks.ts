import { hookRegistration } from "../../webhooks/bigcommerce";
import { BIGCOMMERCE_SCOPES } from "../../webhooks/normalise/bigcommerce";
import type { BigCommerceClient } from "./client.server";

interface Hook {
  id: number;
  scope: string;
  destination: string;
  is_active: boolean;
  headers: Record<string, string> | null;
}

/**
 * Makes sure the store sends every scope Lockstep handles to `destination`, each with the
 * per-store secret header: missing hooks are created, inactive or outdated ones updated, so a
 * re-install (or a rotated secret) repairs the subscriptions instead of duplicating them.
 */
export async function registerStoreHooks(
  client: BigCommerceClient,
  options: { clientSecret: string; destination: string },
): Promise<{ created: number; updated: number; unchanged: number }> {
  const existing = (await client.request<{ data: Hook[] }>("GET", "/v3/hooks", { query: { destination: options.destination, limit: 250 } })).body.data;
  const outcome = { created: 0, updated: 0, unchanged: 0 };
  for (const scope of BIGCOMMERCE_SCOPES) {
    const wanted = hookRegistration(options.clientSecret, client.storeHash, scope, options.destination);
    const hook = existing.find((candidate) => candidate.scope === scope && candidate.destination === options.destination);
    if (!hook) {
      await client.request("POST", "/v3/hooks", { body: wanted });
      outcome.created += 1;
    } else if (!hook.is_active || JSON.stringify(hook.headers ?? {}) !== JSON.stringify(wanted.headers)) {
      await client.request("PUT", `/v3/hooks/${hook.id}`, { body: { is_active: true, headers: wanted.headers } });
      outcome.updated += 1;
    } else {
      outcome.unchanged += 1;
    }
  }
  return outcome;
}
