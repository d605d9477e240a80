import type { SqlRunner } from "../../db/database.server";
import type { ItemKind, PushedItem } from "../types";

export interface RollbackRow {
  variantId: string;
  sku: string;
  /** The state the item had before the rolled-back run: its previous accepted snapshot. */
  previous: PushedItem | null;
  /** Changed (captured) or published again after the rolled-back run: left alone. */
  changedSince: boolean;
}

/** The next page of items the rolled-back run delivered, with their previous state. */
export async function readRollbackItems(sql: SqlRunner, rolledBack: { runId: string; shopId: string; watermarkTo: string }, kind: ItemKind, after: string, limit: number): Promise<RollbackRow[]> {
  return sql.query<RollbackRow>(
    `SELECT r.variant_id AS "variantId", r.sku, prev.state AS previous,
       (EXISTS (SELECT 1 FROM change_record c WHERE c.shop_id = $2 AND c.kind = r.kind AND c.variant_id = r.variant_id AND c.id > $3::bigint)
        OR EXISTS (SELECT 1 FROM run_item later WHERE later.destination_id = r.destination_id AND later.kind = r.kind AND later.variant_id = r.variant_id
                   AND later.run_id > r.run_id AND later.outcome = 'accepted')) AS "changedSince"
     FROM run_item r
     LEFT JOIN LATERAL (
       SELECT p.state FROM run_item p
       WHERE p.destination_id = r.destination_id AND p.kind = r.kind AND p.variant_id = r.variant_id AND p.run_id < r.run_id AND p.outcome = 'accepted'
       ORDER BY p.run_id DESC LIMIT 1
     ) prev ON true
     WHERE r.run_id = $1::bigint AND r.kind = $4 AND r.outcome = 'accepted' AND r.variant_id > $5::uuid
     ORDER BY r.variant_id LIMIT $6`,
    [rolledBack.runId, rolledBack.shopId, rolledBack.watermarkTo, kind, after, limit],
  );
}
