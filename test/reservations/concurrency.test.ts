import { describe, expect, it } from "vitest";
import { LockstepError } from "../../app/config/errors";
import type { Reservation } from "../../app/reservations/reservations.server";
import { useTestDatabase } from "../helpers/database";
import { heldUnits, seedStockShop, stockServices } from "./stockFixture";
import { manualClock } from "../helpers/clock";
import { mulberry32 } from "../helpers/random";

// Runs on in-memory PGlite by default and on PostgreSQL with DATABASE_URL set (a pool of 20
// connections: the statements really run at the same time there).
const getDb = useTestDatabase();

describe("256 shoppers racing for 10 hot items", () => {
  it("never holds more than there is, refuses with the right shortages, and gives everything back on expiry", async () => {
    const db = getDb();
    const clock = manualClock();
    const s = stockServices(db, clock);
    const random = mulberry32(4242);
    const skus = Array.from({ length: 10 }, (_, i) => `HOT-${i}`);
    const stock = new Map<string, number[]>(skus.map((sku) => [sku, [1 + Math.floor(random() * 4), Math.floor(random() * 3)]]));
    const shop = await seedStockShop(db, skus.map((sku) => ({ sku, stock: stock.get(sku)! })), clock.date());
    const total = (sku: string) => stock.get(sku)!.reduce((a, b) => a + b, 0);

    const requests = Array.from({ length: 256 }, (_, i) => {
      const count = 1 + Math.floor(random() * 3);
      const picked = new Set<string>();
      while (picked.size < count) picked.add(skus[Math.floor(random() * skus.length)]!);
      return { key: `cart-${i}`, lines: [...picked].map((sku) => ({ sku, quantity: 1 + Math.floor(random() * 2) })), ttlSeconds: 300 };
    });
    // Every eighth shopper double-clicks: the same key twice at once must end as one reservation.
    const sent = [...requests, ...requests.filter((_, i) => i % 8 === 0)];
    const outcomes = await Promise.all(
      sent.map((request) =>
        s.reservations.reserve(shop.shopId, request).then(
          ({ reservation }) => ({ request, reservation, error: undefined }),
          (error: unknown) => ({ request, reservation: undefined as Reservation | undefined, error }),
        ),
      ),
    );

    const granted = new Map<string, Reservation>();
    let refused = 0;
    for (const { request, reservation, error } of outcomes) {
      if (reservation) {
        const earlier = granted.get(request.key);
        if (earlier) expect(reservation.id).toBe(earlier.id);
        granted.set(request.key, reservation);
        expect(reservation.lines).toEqual(request.lines);
        continue;
      }
      refused++;
      expect(error).toBeInstanceOf(LockstepError);
      const { status, code, details } = error as LockstepError;
      expect([status, code]).toEqual([409, "insufficient_stock"]);
      const shortages = details!.shortages as { sku: string; requested: number; available: number }[];
      expect(shortages.length).toBeGreaterThan(0);
      for (const shortage of shortages) {
        const line = request.lines.find((l) => l.sku === shortage.sku);
        expect(line).toBeDefined();
        expect(shortage.requested).toBe(line!.quantity);
        expect(shortage.available).toBeGreaterThanOrEqual(0);
        expect(shortage.available).toBeLessThan(shortage.requested);
        expect(shortage.available).toBeLessThanOrEqual(total(shortage.sku));
      }
    }
    expect(granted.size).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);

    // What was granted is exactly what the engine holds, and never more than the stock.
    const grantedUnits = new Map(skus.map((sku) => [sku, 0]));
    for (const reservation of granted.values()) {
      for (const line of reservation.lines) grantedUnits.set(line.sku, grantedUnits.get(line.sku)! + line.quantity);
    }
    const held = await heldUnits(db, shop.shopId);
    const available = new Map((await s.availability.bySku(shop.shopId, skus)).map((i) => [i.sku, i.available]));
    for (const sku of skus) {
      expect(held.get(sku) ?? 0).toBe(grantedUnits.get(sku));
      expect(grantedUnits.get(sku)!).toBeLessThanOrEqual(total(sku));
      expect(available.get(sku)).toBe(total(sku) - grantedUnits.get(sku)!);
    }
    const rows = await db.sql.query<{ count: number }>(`SELECT count(*)::int AS count FROM reservation WHERE shop_id = $1`, [shop.shopId]);
    expect(rows[0]!.count).toBe(granted.size);

    // Nobody pays: after the TTL the sweeper gives every unit back.
    clock.advance(301_000);
    let expired = 0;
    for (let round = 0; round < 5 && expired < granted.size; round++) expired += (await s.reservations.sweep({ batchSize: 100 })).expired;
    expect(expired).toBe(granted.size);
    const after = new Map((await s.availability.bySku(shop.shopId, skus)).map((i) => [i.sku, i.available]));
    for (const sku of skus) {
      expect(after.get(sku)).toBe(total(sku));
      expect((await heldUnits(db, shop.shopId)).get(sku) ?? 0).toBe(0);
    }
  });
});
