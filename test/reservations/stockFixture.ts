import { randomUUID } from "node:crypto";
import { AvailabilityCache } from "../../app/availability/cache";
import { type Availability, createAvailability, type ItemAvailability } from "../../app/availability/availability.server";
import type { Database } from "../../app/db/database.server";
import { loweredAt } from "../../app/inventory/sql/committedHolds";
import { createInventorySettings, type InventorySettings } from "../../app/inventory/settings.server";
import { createReservations, type Reservations } from "../../app/reservations/reservations.server";
import type { ManualClock } from "../helpers/clock";

export interface StockShop {
  shopId: string;
  domain: string;
  locations: string[];
  variants: Map<string, string>;
}

/** A shop with two locations and items stocked per location, as the platform last reported (`at`). */
export async function seedStockShop(db: Database, items: { sku: string; stock: number[]; committed?: number[] }[], at: Date): Promise<StockShop> {
  const shopId = randomUUID();
  const domain = `shop-${shopId.slice(0, 8)}.myshopify.com`;
  await db.sql.query(`INSERT INTO shop (id, platform, domain) VALUES ($1, 'shopify', $2)`, [shopId, domain]);
  const locations = [randomUUID(), randomUUID()];
  for (const [i, id] of locations.entries()) {
    await db.sql.query(`INSERT INTO location (id, shop_id, external_id, name) VALUES ($1, $2, $3, $4)`, [id, shopId, `gid://shopify/Location/${i + 1}`, `Location ${i + 1}`]);
  }
  const productId = randomUUID();
  await db.sql.query(`INSERT INTO product (id, shop_id, external_id, title) VALUES ($1, $2, 'gid://shopify/Product/1', 'Product')`, [productId, shopId]);
  const variants = new Map<string, string>();
  for (const [n, item] of items.entries()) {
    const variantId = randomUUID();
    variants.set(item.sku, variantId);
    await db.sql.query(
      `INSERT INTO variant (id, shop_id, product_id, external_id, inventory_item_external_id, sku, title) VALUES ($1, $2, $3, $4, $5, $6, $6)`,
      [variantId, shopId, productId, `gid://shopify/ProductVariant/${n + 1}`, `gid://shopify/InventoryItem/${n + 1}`, item.sku],
    );
    for (const [i, onHand] of item.stock.entries()) {
      await db.sql.query(
        `INSERT INTO inventory_level (shop_id, variant_id, location_id, on_hand, committed, source_updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [shopId, variantId, locations[i], onHand, item.committed?.[i] ?? 0, at],
      );
    }
  }
  return { shopId, domain, locations, variants };
}

/** What the platform would report after a change: the level moves and is stamped `at`. */
export async function setLevel(db: Database, variantId: string, locationId: string, level: { onHand?: number; committed?: number }, at: Date): Promise<void> {
  await db.sql.query(
    `UPDATE inventory_level SET on_hand = coalesce($3, on_hand), committed = coalesce($4, committed), source_updated_at = $5,
       lowered_at = ${loweredAt({ level: "inventory_level", sellable: "coalesce($3, on_hand) - coalesce($4, committed)", at: "$5::timestamptz" })}
     WHERE variant_id = $1 AND location_id = $2`,
    [variantId, locationId, level.onHand ?? null, level.committed ?? null, at],
  );
}

export interface StockServices {
  availability: Availability;
  reservations: Reservations;
  settings: InventorySettings;
  cache: AvailabilityCache<ItemAvailability>;
}

export function stockServices(db: Database, clock: Pick<ManualClock, "now" | "date">): StockServices {
  const cache = new AvailabilityCache<ItemAvailability>({ clock });
  const availability = createAvailability({ db, cache, now: clock.date });
  return {
    cache,
    availability,
    reservations: createReservations({ db, availability, now: clock.date }),
    settings: createInventorySettings({ db, availability }),
  };
}

/** Units our active holds take, per SKU, straight from the hold rows (what the engine believes). */
export async function heldUnits(db: Database, shopId: string): Promise<Map<string, number>> {
  const rows = await db.sql.query<{ sku: string; reserved: number }>(
    `SELECT v.sku, sum(h.reserved)::int AS reserved FROM stock_hold h JOIN variant v ON v.id = h.variant_id WHERE h.shop_id = $1 GROUP BY v.sku`,
    [shopId],
  );
  return new Map(rows.map((row) => [row.sku, row.reserved]));
}
