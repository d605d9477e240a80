import type { SqlRunner } from "../../db/database.server";
import type { VersionRow } from "./insertVersions";

/** One version as history shows it: what was written (`VersionRow`'s terms) and what became of it. */
export interface HistoryRow extends Pick<VersionRow, "list" | "amount" | "currency" | "compareAt" | "validFrom" | "validTo" | "source" | "createdBy"> {
  version: string;
  saleId: string | null;
  recordedAt: Date;
  supersededAt: Date | null;
  supersededBy: string | null;
  activation: string | null;
  lagMs: number | null;
}

/** Every version of one SKU (all lists, or one), superseded ones included, in time order, with its activation. */
export async function priceHistory(sql: SqlRunner, shopId: string, sku: string, list: string | null): Promise<HistoryRow[]> {
  return sql.query<HistoryRow>(
    `SELECT pv.id::text AS version, pv.list, pv.amount::text AS amount, pv.currency, pv.compare_at::text AS "compareAt",
            pv.valid_from AS "validFrom", pv.valid_to AS "validTo", pv.source, pv.created_by AS "createdBy", pv.sale_id AS "saleId",
            pv.recorded_at AS "recordedAt", pv.superseded_at AS "supersededAt", pv.superseded_by::text AS "supersededBy",
            a.state AS activation, a.lag_ms AS "lagMs"
     FROM variant v JOIN price_version pv ON pv.variant_id = v.id AND pv.shop_id = v.shop_id
     LEFT JOIN price_activation a ON a.version_id = pv.id
     WHERE v.shop_id = $1 AND v.sku = $2 AND ($3::text IS NULL OR pv.list = $3)
     ORDER BY pv.list, pv.valid_from, pv.id`,
    [shopId, sku, list],
  );
}
