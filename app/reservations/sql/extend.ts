import type { SqlRunner } from "../../db/database.server";
import { policyCte } from "../../inventory/sql/stockPosition";
import type { ReservationRow } from "./reservationRow";

/**
 * Moves an active, unexpired hold's expiry to `ttlSeconds` (default: the shop's) from now; no row
 * when it is not active (the caller says why). Units do not move: nothing to lock but the row.
 */
export async function extend(sql: SqlRunner, input: { shopId: string; id: string; ttlSeconds: number | null; now: Date }): Promise<ReservationRow | null> {
  const rows = await sql.query<ReservationRow>(
    `WITH ${policyCte("$1")}
     UPDATE reservation SET expires_at = $4::timestamptz + make_interval(secs => coalesce($3::int, (SELECT reservation_ttl FROM policy))),
                            updated_at = $4::timestamptz
     WHERE shop_id = $1::uuid AND id = $2::uuid AND status = 'active' AND expires_at > $4::timestamptz
     RETURNING *`,
    [input.shopId, input.id, input.ttlSeconds, input.now],
  );
  return rows[0] ?? null;
}
