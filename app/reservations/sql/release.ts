import type { SqlRunner } from "../../db/database.server";
import { lockActiveHolds } from "./lockActiveHolds";
import { type ChangedSku, changedSkusOf, type ReservationRow } from "./reservationRow";

export interface ReleaseResult {
  /** The reservations after the statement (released ones with their new status). */
  reservations: ReservationRow[];
  /** How many were active and are now released / expired. */
  released: number;
  changed_skus: ChangedSku[] | null;
}

/**
 * The statement that gives held units back, for the reservations `targets` selects (a CTE body
 * that must lock them FOR UPDATE). Hold rows are locked in (variant, scope) order like in
 * reserve, so a release and a reservation never deadlock.
 */
export function releaseStatement(targets: string, statusParam: string, nowParam: string, reasonParam: string): string {
  return `WITH target AS MATERIALIZED (${targets}),
    ${lockActiveHolds("freed")},
    moved AS (
      UPDATE stock_hold h SET reserved = h.reserved - f.q
      FROM freed f JOIN locked k ON k.variant_id = f.variant_id AND k.scope = f.scope
      WHERE h.variant_id = f.variant_id AND h.scope = f.scope
      RETURNING h.variant_id
    ),
    closed AS (
      UPDATE reservation r SET status = ${statusParam}::"ReservationStatus", released_at = ${nowParam}::timestamptz,
                               release_reason = ${reasonParam}, updated_at = ${nowParam}::timestamptz
      FROM target t WHERE r.id = t.id AND t.status = 'active'
      RETURNING r.*
    )
    SELECT coalesce((SELECT json_agg(row_to_json(c)) FROM closed c), '[]'::json) AS closed,
           coalesce((SELECT json_agg(row_to_json(t)) FROM target t WHERE t.id NOT IN (SELECT id FROM closed)), '[]'::json) AS untouched,
           ${changedSkusOf("freed")} AS changed_skus`;
}

interface ReleaseRow {
  closed: ReservationRow[];
  untouched: ReservationRow[];
  changed_skus: ChangedSku[] | null;
}

export function toReleaseResult(row: ReleaseRow): ReleaseResult {
  return { reservations: [...row.closed, ...row.untouched], released: row.closed.length, changed_skus: row.changed_skus };
}

/** Releases one reservation of a shop (payment failed, cart emptied, order cancelled...). */
export async function release(
  sql: SqlRunner,
  input: { shopId: string; id: string; reason: string; now: Date },
): Promise<ReleaseResult> {
  const rows = await sql.query<ReleaseRow>(
    releaseStatement(`SELECT r.* FROM reservation r WHERE r.shop_id = $1::uuid AND r.id = $2::uuid FOR UPDATE`, "'released'", "$3", "$4"),
    [input.shopId, input.id, input.now, input.reason],
  );
  return toReleaseResult(rows[0]!);
}
