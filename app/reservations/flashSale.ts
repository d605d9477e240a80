/**
 * A flash sale for the demo: many simulated shoppers race for a few hot items at once, each
 * trying to hold a cart; then most abandon (release) and a few buy (commit). The caller passes how
 * a cart is reserved, released and committed — through the HTTP API (`/api/v1/reservations` with the
 * demo shop's token) or straight through `Reservations` — and randomness, so a run can be replayed.
 */
export interface FlashSaleCart {
  key: string;
  lines: { sku: string; quantity: number }[];
}

export type ReserveOutcome = { held: true; id: string } | { held: false; shortages: { sku: string; requested: number; available: number }[] };

export interface FlashSaleDriver {
  reserve(cart: FlashSaleCart): Promise<ReserveOutcome>;
  release(id: string): Promise<void>;
  commit(id: string): Promise<void>;
}

export interface FlashSaleResult {
  shoppers: number;
  held: number;
  refused: number;
  bought: number;
  abandoned: number;
  /** Units held at the peak, per SKU: never more than the stock (the caller checks against it). */
  unitsHeld: Record<string, number>;
}

export async function runFlashSale(options: {
  driver: FlashSaleDriver;
  skus: string[];
  shoppers: number;
  random: () => number;
  /** Share of shoppers with a hold who go on to buy (the rest abandon their cart). */
  buyRate?: number;
  keyPrefix?: string;
}): Promise<FlashSaleResult> {
  const { driver, skus, random } = options;
  const buyRate = options.buyRate ?? 0.3;
  const prefix = options.keyPrefix ?? `flash-${Math.floor(random() * 1e9).toString(36)}`;
  const carts: FlashSaleCart[] = Array.from({ length: options.shoppers }, (_, i) => {
    const count = 1 + Math.floor(random() * Math.min(2, skus.length));
    const picked = new Set<string>();
    while (picked.size < count) picked.add(skus[Math.floor(random() * skus.length)]!);
    return { key: `${prefix}-${i}`, lines: [...picked].map((sku) => ({ sku, quantity: 1 + Math.floor(random() * 2) })) };
  });
  const outcomes = await Promise.all(carts.map((cart) => driver.reserve(cart).then((outcome) => ({ cart, outcome }))));
  const unitsHeld: Record<string, number> = Object.fromEntries(skus.map((sku) => [sku, 0]));
  const holds: { id: string; buys: boolean }[] = [];
  for (const { cart, outcome } of outcomes) {
    if (!outcome.held) continue;
    for (const line of cart.lines) unitsHeld[line.sku] = (unitsHeld[line.sku] ?? 0) + line.quantity;
    holds.push({ id: outcome.id, buys: random() < buyRate });
  }
  await Promise.all(holds.map((hold) => (hold.buys ? driver.commit(hold.id) : driver.release(hold.id))));
  const bought = holds.filter((h) => h.buys).length;
  return { shoppers: carts.length, held: holds.length, refused: carts.length - holds.length, bought, abandoned: holds.length - bought, unitsHeld };
}
