import { type ShopifyAdminClient } from "./adminClient.server";
import {
  type InventoryAdjustmentGroupResult,
  type InventoryChangeInput,
  type InventoryQuantityInput,
  type InventoryUserError,
  inventoryAdjustQuantities,
  inventoryLevelQuantities,
  inventorySetQuantities,
} from "./documents/inventory";
import { rejectedError } from "../../outbound/errors";

export type SettableQuantityName = "available" | "on_hand";

export interface InventoryWriteResult {
  group: InventoryAdjustmentGroupResult | null;
  /** Compare-and-swap rounds it took (1 when nothing was stale). */
  rounds: number;
}

interface CommonWrite {
  name: SettableQuantityName;
  reason: string;
  referenceDocumentUri?: string;
  /**
   * Stable for one intended change (e.g. the event id that caused it): a network retry re-sends
   * the same key and Shopify applies the change once. Each compare-and-swap round derives its own
   * key because its parameters differ.
   */
  idempotencyKey: string;
  /** Compare-and-swap rounds before giving up (someone else keeps changing the item). */
  maxRounds?: number;
}

export interface SetQuantitiesRequest extends CommonWrite {
  quantities: InventoryQuantityInput[];
}

export interface AdjustQuantitiesRequest extends CommonWrite {
  changes: InventoryChangeInput[];
}

const STALE = "CHANGE_FROM_QUANTITY_STALE";

/**
 * Sets absolute quantities with compare-and-swap. When Shopify says a `changeFromQuantity` is
 * stale, the current quantities are re-read and the same target quantities are sent again
 * against them: the target is what Lockstep knows to be true, the re-read only updates the guard.
 */
export async function setInventoryQuantities(client: ShopifyAdminClient, request: SetQuantitiesRequest): Promise<InventoryWriteResult> {
  return writeWithCompareAndSwap(client, "inventorySetQuantities", request, request.quantities, async (quantities, idempotencyKey) => {
    const { data } = await client.request(inventorySetQuantities, {
      idempotencyKey,
      input: { name: request.name, reason: request.reason, referenceDocumentUri: request.referenceDocumentUri, quantities },
    });
    return data.inventorySetQuantities;
  });
}

/**
 * Applies deltas with compare-and-swap. On a stale guard the delta itself is kept (the sale or
 * receipt happened once) and only the expected quantity is refreshed, so the change is neither
 * lost nor applied twice.
 */
export async function adjustInventoryQuantities(
  client: ShopifyAdminClient,
  request: AdjustQuantitiesRequest,
): Promise<InventoryWriteResult> {
  return writeWithCompareAndSwap(client, "inventoryAdjustQuantities", request, request.changes, async (changes, idempotencyKey) => {
    const { data } = await client.request(inventoryAdjustQuantities, {
      idempotencyKey,
      input: { name: request.name, reason: request.reason, referenceDocumentUri: request.referenceDocumentUri, changes },
    });
    return data.inventoryAdjustQuantities;
  });
}

type GuardedLevel = { inventoryItemId: string; locationId: string; changeFromQuantity: number | null };

/**
 * The rounds both writes share: send, and on a stale guard only, re-read the current quantities,
 * refresh each `changeFromQuantity` (entries that opted out keep `null`) and send the same entries again.
 */
async function writeWithCompareAndSwap<T extends GuardedLevel>(
  client: ShopifyAdminClient,
  mutation: string,
  request: CommonWrite,
  entries: T[],
  send: (entries: T[], idempotencyKey: string) => Promise<{ inventoryAdjustmentGroup: InventoryAdjustmentGroupResult | null; userErrors: InventoryUserError[] }>,
): Promise<InventoryWriteResult> {
  let current = entries;
  const maxRounds = request.maxRounds ?? 5;
  for (let round = 1; ; round++) {
    const result = await send(current, roundKey(request.idempotencyKey, round));
    if (result.userErrors.length === 0) return { group: result.inventoryAdjustmentGroup, rounds: round };
    failUnlessOnlyStale(client, mutation, result.userErrors, round, maxRounds);
    const read = await readQuantities(client, request.name, current);
    current = current.map((entry) => (entry.changeFromQuantity === null ? entry : { ...entry, changeFromQuantity: read.get(levelKey(entry)) ?? 0 }));
  }
}

/** Current quantity of `name` for each (item, location), read one level at a time. */
export async function readQuantities(
  client: ShopifyAdminClient,
  name: string,
  levels: ReadonlyArray<{ inventoryItemId: string; locationId: string }>,
): Promise<Map<string, number>> {
  const current = new Map<string, number>();
  await Promise.all(
    levels.map(async (level) => {
      const { data } = await client.request(inventoryLevelQuantities, {
        inventoryItemId: level.inventoryItemId,
        locationId: level.locationId,
        names: [name],
      });
      const quantity = data.inventoryItem?.inventoryLevel?.quantities.find((q) => q.name === name)?.quantity;
      current.set(levelKey(level), quantity ?? 0);
    }),
  );
  return current;
}

function levelKey(level: { inventoryItemId: string; locationId: string }): string {
  return `${level.inventoryItemId}@${level.locationId}`;
}

function roundKey(key: string, round: number): string {
  return round === 1 ? key : `${key}:cas-${round}`;
}

function failUnlessOnlyStale(
  client: ShopifyAdminClient,
  mutation: string,
  userErrors: InventoryUserError[],
  round: number,
  maxRounds: number,
): void {
  const onlyStale = userErrors.every((error) => error.code === STALE);
  if (onlyStale && round < maxRounds) return;
  throw rejectedError(
    `shopify:${client.shop}`,
    onlyStale
      ? `${mutation}: quantities kept changing under us for ${round} rounds`
      : `${mutation} refused: ${userErrors.map((error) => `${error.code ?? "?"} ${error.message}`).join("; ")}`,
    200,
    { userErrors, staleRoundsExhausted: onlyStale },
  );
}
