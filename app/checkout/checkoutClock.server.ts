import type { SqlRunner } from "../db/database.server";
import { rejectedError } from "../outbound/errors";
import type { ShopifyAdminClient } from "../platforms/shopify/adminClient.server";
import { listInstalledShops } from "../shops/sql/findShop";
import { checkoutValidations, validationCreate } from "./documents/checkoutValidation";
import { metafieldsSet } from "./documents/metafields";
import { CHECKOUT_CLOCK_METAFIELD_KEY, type CheckoutClockValue, LOCKSTEP_METAFIELD_NAMESPACE, METAFIELD_TYPE, checkoutClockValue } from "./metafields";

/** The `handle` of extensions/availability-validation/shopify.extension.toml. */
export const CHECKOUT_FUNCTION_HANDLE = "lockstep-availability-validation";
/** How long one heartbeat vouches for Lockstep's numbers: refresh it well within this (e.g. every minute). */
export const DEFAULT_CLOCK_VALID_SECONDS = 180;

export interface CheckoutClockResult {
  /** The validations running Lockstep's Function that got the heartbeat (empty: the Function is not turned on). */
  validationIds: string[];
  created: boolean;
  clock: CheckoutClockValue;
}

/**
 * Writes Lockstep's heartbeat on each validation running its Function. A Function has no clock:
 * it trusts availability only while this heartbeat is valid, so if Lockstep stops, checkout falls
 * back to the shop's stale policy instead of trusting numbers nobody updates.
 * With `enable`, turns the Function on for the shop when it is not yet.
 */
export async function refreshCheckoutClock(
  client: ShopifyAdminClient,
  options: { now: Date; validForSeconds?: number; enable?: boolean },
): Promise<CheckoutClockResult> {
  const { data } = await client.request(checkoutValidations, { first: 25 });
  const clock = checkoutClockValue(options.now, options.validForSeconds ?? DEFAULT_CLOCK_VALID_SECONDS, data.shop.ianaTimezone);
  const metafield = { namespace: LOCKSTEP_METAFIELD_NAMESPACE, key: CHECKOUT_CLOCK_METAFIELD_KEY, type: METAFIELD_TYPE, value: JSON.stringify(clock) };
  const ours = data.validations.nodes.filter((node) => node.shopifyFunction.handle === CHECKOUT_FUNCTION_HANDLE);

  if (ours.length === 0) {
    if (!options.enable) return { validationIds: [], created: false, clock };
    const created = await client.request(validationCreate, {
      validation: {
        functionHandle: CHECKOUT_FUNCTION_HANDLE,
        title: "Lockstep stock check",
        enable: true,
        // If the Function cannot run, checkout stops rather than sell stock nobody checked.
        blockOnFailure: true,
        metafields: [metafield],
      },
    });
    const payload = created.data.validationCreate;
    if (!payload.validation) throw refusal(client, "validationCreate", payload.userErrors);
    return { validationIds: [payload.validation.id], created: true, clock };
  }

  const { data: written } = await client.request(metafieldsSet, { metafields: ours.map((node) => ({ ownerId: node.id, ...metafield })) });
  if (written.metafieldsSet.userErrors.length > 0) throw refusal(client, "metafieldsSet", written.metafieldsSet.userErrors);
  return { validationIds: ours.map((node) => node.id), created: false, clock };
}

function refusal(client: ShopifyAdminClient, mutation: string, userErrors: Array<{ code: string | null; message: string }>) {
  return rejectedError(
    `shopify:${client.shop}`,
    `${mutation} refused: ${userErrors.map((error) => `${error.code ?? "ERROR"} ${error.message}`).join("; ")}`,
    200,
    { userErrors },
  );
}

export interface ClockRound {
  refreshed: number;
  /** Shops whose heartbeat could not be written: their checkouts fall back to the stale policy when it expires. */
  failed: Array<{ shopId: string; error: unknown }>;
}

/**
 * One heartbeat round over every installed Shopify shop (run it every minute or so: well within
 * `validForSeconds`). One shop's failure never stops the others.
 */
export async function refreshAllCheckoutClocks(deps: {
  sql: SqlRunner;
  adminClientFor(shopId: string): Promise<ShopifyAdminClient | undefined>;
  now: Date;
  validForSeconds?: number;
  enable?: boolean;
}): Promise<ClockRound> {
  const shops = await listInstalledShops(deps.sql, "shopify");
  const round: ClockRound = { refreshed: 0, failed: [] };
  await Promise.all(
    shops.map(async ({ id }) => {
      try {
        const client = await deps.adminClientFor(id);
        if (!client) return;
        const result = await refreshCheckoutClock(client, { now: deps.now, validForSeconds: deps.validForSeconds, enable: deps.enable });
        if (result.validationIds.length > 0) round.refreshed++;
      } catch (error) {
        round.failed.push({ shopId: id, error });
      }
    }),
  );
  return round;
}
