import type { SqlRunner } from "../db/database.server";
import { closeVersionAt } from "./sql/closeVersionAt";
import { insertVersions } from "./sql/insertVersions";
import { lockPriceItems } from "./sql/lockPriceItems";
import { storeEditContext } from "./sql/storeEditContext";
import { supersedeRestores } from "./sql/supersedeRestores";
import { DEFAULT_LIST } from "./versions.server";

/** `untracked`: the item has no price versions (Lockstep keeps no prices for it); `superseded`: a version starts at that very instant and wins. */
export type StoreEditOutcome = "echo" | "recorded" | "unknown_item" | "untracked" | "superseded";

/**
 * A price the store reported (a product/variant webhook), changed at `changedAt` (the platform's
 * updated_at), recorded on the store's list by the rule in app/prices/README.md:
 * - the same price as the version that held then: an echo (our own push coming back), nothing new;
 * - otherwise a new version from `changedAt` until the next version that starts after it, so a late
 *   webhook never overwrites a newer version (its window lies in the past, before that version);
 * - planned sale ends after it (with no other price set between) restore this price instead of the
 *   one from before the sale: the staff's newest edit survives the sale's end.
 * Runs inside the webhook's transaction.
 */
export async function recordStorePrice(tx: SqlRunner, edit: { shopId: string; variantExternalId: string; price: string; changedAt: Date }): Promise<StoreEditOutcome> {
  const variant = await storeEditContext(tx, edit.shopId, edit.variantExternalId, edit.changedAt);
  if (!variant) return "unknown_item";
  await lockPriceItems(tx, edit.shopId, [{ variantId: variant.variantId, list: DEFAULT_LIST }]);
  const context = (await storeEditContext(tx, edit.shopId, edit.variantExternalId, edit.changedAt))!;
  if (context.coveringAmount !== null && sameDecimal(context.coveringAmount, edit.price)) return "echo";
  if (!context.currency) return "untracked";
  if (context.coveringFrom && new Date(context.coveringFrom).getTime() === edit.changedAt.getTime()) return "superseded";
  if (context.coveringId && context.coveringFrom && new Date(context.coveringFrom) < edit.changedAt) await closeVersionAt(tx, context.coveringId, edit.changedAt);
  const restores = await supersedeRestores(tx, context.restoreIds);
  const by = { source: "store", createdBy: "store edit", activate: false, compareAt: null, amount: edit.price };
  await insertVersions(tx, edit.shopId, [
    { ...by, variantId: context.variantId, list: DEFAULT_LIST, currency: context.currency, validFrom: edit.changedAt, validTo: context.nextFrom ? new Date(context.nextFrom) : null, sourceUpdatedAt: edit.changedAt },
    ...restores.map((restore) => ({ ...by, source: "sale_end", activate: true, variantId: restore.variantId, list: restore.list, currency: restore.currency, validFrom: restore.validFrom, validTo: restore.validTo, saleId: restore.saleId })),
  ]);
  return "recorded";
}

/** "19.9" and "19.9000" are the same price: compared as decimal strings, never as floats. */
function sameDecimal(a: string, b: string): boolean {
  const normal = (value: string) => {
    const [whole = "0", fraction = ""] = value.trim().split(".");
    return `${whole.replace(/^0+(?=\d)/, "")}.${fraction.replace(/0+$/, "")}`;
  };
  return normal(a) === normal(b);
}
