import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LockstepError } from "../../app/config/errors";
import { createStockServices, type StockServices } from "../../app/reservations/stockServices.server";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../helpers/database";
import { heldUnits, seedStockShop, setLevel, type StockShop } from "../reservations/stockFixture";

// Two Lockstep processes' worth of stock services on one PostgreSQL database and one Redis:
// this file always runs on the machine's servers.
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const NAME = `lockstep_stock_it_${randomBytes(4).toString("hex")}`;
const PREFIX = `lockstep-test:${NAME}`;

let db: TestDatabase;
let first: StockServices;
let second: StockServices;
let shop: StockShop;

beforeAll(async () => {
  db = await createTestDatabase({ serverUrl: POSTGRES_URL });
  const make = () => createStockServices({ db, config: { redisUrl: REDIS_URL }, redisPrefix: PREFIX, log: () => undefined });
  first = make();
  second = make();
  await Promise.all([first.ready, second.ready]);
  shop = await seedStockShop(db, [{ sku: "A", stock: [4, 0] }, { sku: "B", stock: [6, 0] }], new Date());
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  await db?.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let attempt = 0; attempt < 200 && !done(value); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    value = await read();
  }
  return value;
}

describe("availability shared by processes through Redis", () => {
  it("shares entries, and an invalidation in one process reaches the other's own copy", async () => {
    const availableIn = async (services: StockServices) => (await services.availability.bySku(shop.shopId, ["A"]))[0]!.available;
    expect(await availableIn(first)).toBe(4);
    // Behind the cache's back (no invalidation): the second process is served the shared entry.
    await setLevel(db, shop.variants.get("A")!, shop.locations[0]!, { onHand: 3 }, new Date());
    expect(await availableIn(second)).toBe(4);

    // A reservation in the second process invalidates everywhere.
    await second.reservations.reserve(shop.shopId, { key: "cart-1", lines: [{ sku: "A", quantity: 1 }] });
    expect(await availableIn(second)).toBe(2);
    expect(await eventually(() => availableIn(first), (value) => value === 2)).toBe(2);
  });

  it("never oversells with shoppers spread over both processes", async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        (i % 2 === 0 ? first : second).reservations.reserve(shop.shopId, { key: `race-${i}`, lines: [{ sku: "B", quantity: 1 + (i % 2) }] }).then(
          () => "held",
          (error: unknown) => (error instanceof LockstepError && error.status === 409 ? "refused" : error),
        ),
      ),
    );
    expect(outcomes.filter((o) => o !== "held" && o !== "refused")).toEqual([]);
    const held = (await heldUnits(db, shop.shopId)).get("B")!;
    // Some shoppers want one unit: as long as one was refused, every unit was taken, and never one more.
    expect(held).toBe(6);
    expect(await eventually(async () => (await first.availability.bySku(shop.shopId, ["B"]))[0]!.available, (value) => value === 6 - held)).toBe(6 - held);
  });
});
