import { createHmac } from "node:crypto";
import type { BigCommerceClient } from "./client.server";

/** The BigCommerce scopes Lockstep registers hooks for. */
export const BIGCOMMERCE_SCOPES = [
  "store/product/created",
  "store/product/updated",
  "store/product/deleted",
  "store/product/inventory/updated",
  "store/product/inventory/order/updated",
  "store/sku/created",
  "store/sku/updated",
  "store/sku/inventory/updated",
  "store/sku/inventory/order/updated",
  "store/order/created",
  "store/order/updated",
  "store/order/statusUpdated",
  "store/order/refund/created",
  "store/app/uninstalled",
] as const;

/** The header Lockstep asks BigCommerce to echo on every delivery when it registers a hook (`POST /v3/hooks`, `headers`). */
export const BIGCOMMERCE_SECRET_HEADER = "x-lockstep-webhook-secret";

/**
 * The per-store secret Lockstep registers as a custom header of the store's hooks. Derived from the
 * client secret and the store hash, so nothing needs storing and a leak concerns one store only.
 */
export function storeWebhookSecret(clientSecret: string, storeHash: string): string {
  return createHmac("sha256", clientSecret).update(`lockstep-webhook:${storeHash}`).digest("base64url");
}

/**
 * The body of BigCommerce's `POST /v3/hooks` for one scope: the per-store secret rides along as a
 * custom header that BigCommerce echoes on every delivery, where `verifyBigCommerceDelivery` checks it.
 */
export function hookRegistration(clientSecret: string, storeHash: string, scope: string, destination: string) {
  return {
    scope,
    destination,
    is_active: true,
    events_history_enabled: true,
    headers: { [BIGCOMMERCE_SECRET_HEADER]: storeWebhookSecret(clientSecret, storeHash) },
  };
}


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
