import type { SqlRunner } from "../../db/database.server";
import { loweredAt } from "../../inventory/sql/committedHolds";

/**
 * After a complete read: what the platform no longer lists is retired the way the webhook
 * consumers retire it, as tombstones (a product `deleted`, a level at zero), so stock of a product
 * deleted or a location disconnected while no webhook reached Lockstep cannot be sold. Rows the
 * backfill confirmed carry its read time; rows a webhook touched after it, or created since, stay.
 */
export async function retireUnlistedRows(tx: SqlRunner, shopId: string, readAt: Date): Promise<{ products: number; levels: number }> {
  const at = readAt.toISOString();
  const products = await tx.query(
    `UPDATE product SET status = 'deleted', source_updated_at = $2, updated_at = now()
     WHERE shop_id = $1 AND status <> 'deleted' AND created_at < $2 AND (source_updated_at IS NULL OR source_updated_at < $2)
     RETURNING 1`,
    [shopId, at],
  );
  const levels = await tx.query(
    `UPDATE inventory_level SET on_hand = 0, committed = 0, incoming = 0, source_updated_at = $2, updated_at = now(),
       lowered_at = ${loweredAt({ level: "inventory_level", sellable: "0", at: "$2::timestamptz" })}
     WHERE shop_id = $1 AND (source_updated_at IS NULL OR source_updated_at < $2) AND (on_hand <> 0 OR committed <> 0 OR incoming <> 0)
     RETURNING 1`,
    [shopId, at],
  );
  return { products: products.length, levels: levels.length };
}
