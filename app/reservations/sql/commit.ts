import type { SqlRunner } from "../../db/database.server";
import { lockActiveHolds } from "./lockActiveHolds";
import { type ChangedSku, changedSkusOf, type ReservationRow } from "./reservationRow";

export interface CommitResult {
  reservation: ReservationRow | null;
  committed: boolean;
  changed_skus: ChangedSku[] | null;
}

/**
 * Turns an active hold into stock committed to an order, in one statement. Physical units move
 * from `reserved` to the hold row's `pending` list, stamped with the order's time: they keep
 * counting until the platform's own numbers include the order: a level of the item lowered after
 * it (see inventory/sql/committedHolds.ts). Virtual units (preorders)
 * become `sold` against the virtual limit. The hold never stops counting before the platform's does.
 */
export async function commit(
  sql: SqlRunner,
  input: { shopId: string; id: string; orderExternalId: string; orderedAt: Date; now: Date },
): Promise<CommitResult> {
  const rows = await sql.query<CommitResult>(
    `WITH target AS MATERIALIZED (
      SELECT r.* FROM reservation r WHERE r.shop_id = $1::uuid AND r.id = $2::uuid FOR UPDATE
    ),
    ${lockActiveHolds("held")},
    moved AS (
      UPDATE stock_hold h
      SET reserved = h.reserved - d.q,
          sold = h.sold + CASE WHEN h.scope = 'virtual' THEN d.q ELSE 0 END,
          pending = CASE WHEN h.scope = 'virtual' THEN h.pending
                         ELSE h.pending || jsonb_build_array(jsonb_build_object('o', $3::text, 'q', d.q, 'at', $4::timestamptz)) END
      FROM held d JOIN locked k ON k.variant_id = d.variant_id AND k.scope = d.scope
      WHERE h.variant_id = d.variant_id AND h.scope = d.scope
      RETURNING h.variant_id
    ),
    done AS (
      UPDATE reservation r SET status = 'committed', committed_at = $5::timestamptz, order_external_id = $3::text, updated_at = $5::timestamptz
      FROM target t WHERE r.id = t.id AND t.status = 'active'
      RETURNING r.*
    )
    SELECT coalesce((SELECT row_to_json(d) FROM done d), (SELECT row_to_json(t) FROM target t)) AS reservation,
           EXISTS (SELECT 1 FROM done) AS committed,
           ${changedSkusOf("held")} AS changed_skus`,
    [input.shopId, input.id, input.orderExternalId, input.orderedAt, input.now],
  );
  return rows[0]!;
}
