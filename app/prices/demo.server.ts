import type { Sql } from "../db/database.server";
import { createSale } from "./sales.server";
import { readVariantPrices } from "./sql/readVariantPrices";
import { schedulePrices } from "./versions.server";

/** The demo's prices: every item at its catalog price from now, and one sale (20 % off the merino tops) starting in 5 minutes for 2 hours. */
export async function seedDemoPrices(sql: Sql, shopId: string, now: Date): Promise<void> {
  const variants = await readVariantPrices(sql, shopId);
  await schedulePrices(sql, shopId, variants.map((variant) => ({ variantId: variant.id, amount: variant.price, currency: "USD", validFrom: now })), { source: "seed", createdBy: "demo" });
  const startsAt = new Date(now.getTime() + 5 * 60_000);
  await createSale(sql, shopId, { name: "Merino weekend", skus: ["MERINO-S", "MERINO-M", "MERINO-L"], kind: "percent", value: "20", startsAt, endsAt: new Date(startsAt.getTime() + 2 * 3_600_000), createdBy: "demo" });
}
