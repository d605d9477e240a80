import type { SqlRunner } from "../../db/database.server";
import type { SaleRow } from "./insertSale";

/** A sale as staff see it: what was written (`SaleRow`) and where it stands. */
export interface SaleSummary extends SaleRow {
  id: string;
  /** `cancelled`: called off before it started (cancelSale); its versions are kept, superseded. */
  status: "upcoming" | "active" | "ended" | "cancelled";
  cancelledAt: Date | null;
  cancelledBy: string | null;
  /** Its items' activations: how many reached the store, and the slowest lag (ms). */
  activated: number;
  maxLagMs: number | null;
}

/** A shop's sales as of `at`, upcoming first (soonest first), then active, then ended (latest first), then cancelled. */
export async function listSales(sql: SqlRunner, shopId: string, at: Date, limit: number): Promise<SaleSummary[]> {
  return sql.query<SaleSummary>(
    `SELECT s.id, s.name, s.list, s.starts_at AS "startsAt", s.ends_at AS "endsAt", s.kind, s.value::text AS value, s.item_count AS "itemCount",
            s.created_by AS "createdBy", s.cancelled_at AS "cancelledAt", s.cancelled_by AS "cancelledBy",
            CASE WHEN s.cancelled_at IS NOT NULL THEN 'cancelled' WHEN s.starts_at > $2 THEN 'upcoming' WHEN s.ends_at > $2 THEN 'active' ELSE 'ended' END AS status,
            (SELECT count(*)::int FROM price_version pv JOIN price_activation a ON a.version_id = pv.id
              WHERE pv.shop_id = s.shop_id AND pv.sale_id = s.id AND pv.source = 'sale' AND a.state = 'done') AS activated,
            (SELECT max(a.lag_ms) FROM price_version pv JOIN price_activation a ON a.version_id = pv.id
              WHERE pv.shop_id = s.shop_id AND pv.sale_id = s.id AND pv.source = 'sale') AS "maxLagMs"
     FROM price_sale s WHERE s.shop_id = $1
     ORDER BY CASE WHEN s.cancelled_at IS NOT NULL THEN 3 WHEN s.starts_at > $2 THEN 0 WHEN s.ends_at > $2 THEN 1 ELSE 2 END,
              CASE WHEN s.cancelled_at IS NULL AND s.starts_at > $2 THEN s.starts_at END, s.ends_at DESC
     LIMIT $3`,
    [shopId, at.toISOString(), limit],
  );
}
