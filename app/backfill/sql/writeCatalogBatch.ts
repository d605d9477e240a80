import type { SqlRunner } from "../../db/database.server";
import { loweredAt } from "../../inventory/sql/committedHolds";
import { skuOrPlaceholder } from "../../catalog/sku";
import { LOCATE_LEVELS } from "../../catalog/sql/locateLevels";
import { releaseSkus } from "../../catalog/sql/releaseSkus";
import type { CatalogBatch, RowOf } from "../../catalog/catalogRows";

// Every statement here moves state forward only, like the webhook consumers: a row whose
// source_updated_at is newer than the backfill's read time (a webhook that raced the backfill)
// is left as it is, and writing the same batch twice gives the same rows.

/** The last row per key wins (a platform answer may repeat a row; one statement cannot touch a row twice). */
function lastBy<T>(rows: T[], key: (row: T) => string): T[] {
  return [...new Map(rows.map((row) => [key(row), row])).values()];
}

async function writeLocations(tx: SqlRunner, shopId: string, readAt: string, rows: RowOf<"location">[]): Promise<void> {
  // Locations keep their source time in source_version (as the consumers do): advance it with the row.
  await tx.query(
    `WITH input AS (
       SELECT * FROM json_to_recordset($2::json) AS i(external_id text, name text, active boolean)
     ), fresh AS (
       SELECT i.* FROM input i WHERE NOT EXISTS (
         SELECT 1 FROM source_version sv WHERE sv.shop_id = $1 AND sv.kind = 'location' AND sv.external_id = i.external_id AND sv.source_updated_at > $3
       )
     ), versions AS (
       INSERT INTO source_version (shop_id, kind, external_id, source_updated_at) SELECT $1, 'location', external_id, $3 FROM fresh
       ON CONFLICT (shop_id, kind, external_id) DO UPDATE SET source_updated_at = EXCLUDED.source_updated_at
       WHERE source_version.source_updated_at <= EXCLUDED.source_updated_at
     )
     INSERT INTO location (id, shop_id, external_id, name, active) SELECT gen_random_uuid(), $1, external_id, name, active FROM fresh
     ON CONFLICT (shop_id, external_id) DO UPDATE SET name = EXCLUDED.name, active = EXCLUDED.active, updated_at = now()`,
    [shopId, JSON.stringify(lastBy(rows, (row) => row.externalId).map((row) => ({ external_id: row.externalId, name: row.name, active: row.active }))), readAt],
  );
}

async function writeProducts(tx: SqlRunner, shopId: string, readAt: string, rows: RowOf<"product">[]): Promise<void> {
  // A backfill reads the whole product: a feed attribute it did not find is cleared (null), not kept.
  const input = lastBy(rows, (row) => row.externalId).map((row) => ({
    external_id: row.externalId,
    title: row.title,
    status: row.status,
    description: row.description ?? null,
    url_path: row.urlPath ?? null,
    image_url: row.imageUrl ?? null,
    brand: row.brand ?? null,
    condition: row.condition ?? null,
    metafields: row.metafields ?? null,
  }));
  await tx.query(
    `INSERT INTO product (id, shop_id, external_id, title, status, description, url_path, image_url, brand, condition, metafields, source_updated_at)
     SELECT gen_random_uuid(), $1, external_id, title, status, description, url_path, image_url, brand, condition, metafields, $3
     FROM json_to_recordset($2::json) AS i(external_id text, title text, status text, description text, url_path text, image_url text, brand text, condition text, metafields jsonb)
     ON CONFLICT (shop_id, external_id) DO UPDATE SET
       title = EXCLUDED.title, status = EXCLUDED.status, description = EXCLUDED.description, url_path = EXCLUDED.url_path,
       image_url = EXCLUDED.image_url, brand = EXCLUDED.brand, condition = EXCLUDED.condition, metafields = EXCLUDED.metafields,
       source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
     WHERE product.source_updated_at IS NULL OR product.source_updated_at <= EXCLUDED.source_updated_at`,
    [shopId, JSON.stringify(input), readAt],
  );
}

const VARIANT_COLUMNS =
  "id uuid, external_id text, product_external_id text, item text, sku text, title text, price text, compare_at text, gtin text, mpn text";

async function writeVariants(tx: SqlRunner, shopId: string, readAt: string, rows: RowOf<"variant">[]): Promise<void> {
  // A SKU given twice in one batch: the later variant keeps it, as a later webhook would take it.
  const unique = lastBy(rows, (row) => row.externalId);
  const skuHolder = new Map(unique.map((row) => [skuOrPlaceholder(row.sku, row.externalId), row.externalId]));
  const input = unique.map((row) => {
    const sku = skuOrPlaceholder(row.sku, row.externalId);
    return {
      external_id: row.externalId,
      product_external_id: row.productExternalId,
      item: row.inventoryItemExternalId,
      sku: skuHolder.get(sku) === row.externalId ? sku : `#${row.externalId}`,
      title: row.title,
      price: row.price,
      compare_at: row.compareAtPrice ?? null,
      gtin: row.gtin ?? null,
      mpn: row.mpn ?? null,
    };
  });
  // The row each variant lands on: itself, or the placeholder an inventory webhook made for its item.
  const found = await tx.query<{ external_id: string; id: string | null; product_id: string | null; applies: boolean | null }>(
    `SELECT i.external_id, v.id, v.product_id, (v.source_updated_at IS NULL OR v.source_updated_at <= $3) AS applies
     FROM json_to_recordset($2::json) AS i(external_id text, item text)
     LEFT JOIN LATERAL (
       SELECT id, product_id, source_updated_at FROM variant
       WHERE shop_id = $1 AND (external_id = i.external_id OR inventory_item_external_id = i.item)
       ORDER BY (external_id = i.external_id) DESC LIMIT 1
     ) v ON true`,
    [shopId, JSON.stringify(input), readAt],
  );
  const target = new Map(found.map((row) => [row.external_id, row]));
  const claimed = new Set<string>();
  const toWrite = input.flatMap((row) => {
    const existing = target.get(row.external_id);
    if (existing?.id && (!existing.applies || claimed.has(existing.id))) return [];
    if (existing?.id) claimed.add(existing.id);
    return [{ ...row, id: existing?.id ?? null }];
  });
  if (toWrite.length === 0) return;
  const json = JSON.stringify(toWrite);
  await releaseSkus(tx, shopId, toWrite.map((row) => ({ id: row.id, sku: row.sku })));
  await tx.query(
    `UPDATE variant v SET external_id = i.external_id, product_id = p.id, inventory_item_external_id = i.item, sku = i.sku, title = i.title,
       price = i.price::numeric, compare_at_price = i.compare_at::numeric, gtin = i.gtin, mpn = i.mpn, source_updated_at = $3, updated_at = now()
     FROM json_to_recordset($2::json) AS i(${VARIANT_COLUMNS})
     JOIN product p ON p.shop_id = $1 AND p.external_id = i.product_external_id
     WHERE v.id = i.id`,
    [shopId, json, readAt],
  );
  await tx.query(
    `INSERT INTO variant (id, shop_id, product_id, external_id, inventory_item_external_id, sku, title, price, compare_at_price, gtin, mpn, source_updated_at)
     SELECT gen_random_uuid(), $1, p.id, i.external_id, i.item, i.sku, i.title, i.price::numeric, i.compare_at::numeric, i.gtin, i.mpn, $3
     FROM json_to_recordset($2::json) AS i(${VARIANT_COLUMNS})
     JOIN product p ON p.shop_id = $1 AND p.external_id = i.product_external_id
     WHERE i.id IS NULL`,
    [shopId, json, readAt],
  );
  // A placeholder product an inventory webhook made for an unknown item is empty once its variant found its real product.
  const previousProducts = toWrite.flatMap((row) => {
    const productId = target.get(row.external_id)?.product_id;
    return productId ? [productId] : [];
  });
  if (previousProducts.length > 0) {
    await tx.query(
      `DELETE FROM product p WHERE p.id = ANY($2::uuid[]) AND p.shop_id = $1 AND p.external_id LIKE 'inventory-item:%' AND p.source_updated_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM variant v WHERE v.product_id = p.id)`,
      [shopId, previousProducts],
    );
  }
}

async function writeLevels(tx: SqlRunner, shopId: string, readAt: string, rows: RowOf<"level">[]): Promise<void> {
  const input = lastBy(rows, (row) => `${row.inventoryItemExternalId}\n${row.locationExternalId}`).map((row) => ({
    item: row.inventoryItemExternalId,
    location: row.locationExternalId,
    on_hand: row.onHand,
    committed: row.committed,
    incoming: row.incoming,
  }));
  // safety_stock is Lockstep's own setting, not the platform's: the backfill leaves it alone.
  await tx.query(
    `WITH input AS (
       SELECT $1::uuid AS shop_id, * FROM json_to_recordset($2::json) AS i(item text, location text, on_hand int, committed int, incoming int)
     ), ${LOCATE_LEVELS}
     INSERT INTO inventory_level (shop_id, variant_id, location_id, on_hand, committed, incoming, source_updated_at, updated_at)
     SELECT $1, variant_id, location_id, on_hand, committed, incoming, $3, now() FROM located
     ON CONFLICT (variant_id, location_id) DO UPDATE SET
       on_hand = EXCLUDED.on_hand, committed = EXCLUDED.committed, incoming = EXCLUDED.incoming,
       lowered_at = ${loweredAt({ level: "inventory_level", sellable: "EXCLUDED.on_hand - EXCLUDED.committed", at: "EXCLUDED.source_updated_at" })},
       source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
     WHERE inventory_level.source_updated_at IS NULL OR inventory_level.source_updated_at <= EXCLUDED.source_updated_at`,
    [shopId, JSON.stringify(input), readAt],
  );
}

/**
 * Writes one batch of a shop's catalog as read at `readAt`, parents first. Run it inside one
 * transaction so a failure leaves none of the batch behind.
 */
export async function writeCatalogBatch(tx: SqlRunner, shopId: string, readAt: Date, batch: CatalogBatch): Promise<void> {
  const at = readAt.toISOString();
  if (batch.locations.length > 0) await writeLocations(tx, shopId, at, batch.locations);
  if (batch.products.length > 0) await writeProducts(tx, shopId, at, batch.products);
  if (batch.variants.length > 0) await writeVariants(tx, shopId, at, batch.variants);
  if (batch.levels.length > 0) await writeLevels(tx, shopId, at, batch.levels);
}
