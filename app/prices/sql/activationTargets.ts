import type { SqlRunner } from "../../db/database.server";

export interface ActivationTarget {
  activationId: string;
  versionId: string;
  shopId: string;
  platform: "shopify" | "bigcommerce";
  list: string;
  variantId: string;
  variantExternalId: string;
  productExternalId: string;
  amount: string;
  currency: string;
  compareAt: string | null;
  /** A named list mapped to a BigCommerce price list (price_list_target): its id there, else null. */
  bigCommercePriceListId: number | null;
  validFrom: Date;
  runAt: Date;
  /** The version that holds at its activation (now, or its start when prepared ahead): not superseded, not ended or replaced before it could run. */
  current: boolean;
}

/** What each claimed activation pushes: its version, the item's platform ids, and whether it is still current. */
export async function activationTargets(sql: SqlRunner, activationIds: string[]): Promise<ActivationTarget[]> {
  return sql.query<ActivationTarget>(
    `SELECT a.id::text AS "activationId", pv.id::text AS "versionId", a.shop_id AS "shopId", s.platform::text AS platform, pv.list,
            v.id AS "variantId", v.external_id AS "variantExternalId", p.external_id AS "productExternalId",
            pv.amount::text AS amount, pv.currency, pv.compare_at::text AS "compareAt", t.bigcommerce_price_list_id AS "bigCommercePriceListId", pv.valid_from AS "validFrom", a.run_at AS "runAt",
            (pv.superseded_at IS NULL AND pv.valid_from <= greatest(now(), a.run_at) AND (pv.valid_to IS NULL OR pv.valid_to > greatest(now(), a.run_at))) AS current
     FROM price_activation a
     JOIN price_version pv ON pv.id = a.version_id
     JOIN variant v ON v.id = pv.variant_id
     JOIN product p ON p.id = v.product_id
     JOIN shop s ON s.id = a.shop_id
     LEFT JOIN price_list_target t ON t.shop_id = a.shop_id AND t.list = pv.list
     WHERE a.id = ANY($1::bigint[])
     ORDER BY a.id`,
    [activationIds],
  );
}
