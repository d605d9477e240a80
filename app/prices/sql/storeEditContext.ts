import type { SqlRunner } from "../../db/database.server";

export interface StoreEditContext {
  variantId: string;
  /** The version that held on the store's list when the edit was made. */
  coveringId: string | null;
  coveringAmount: string | null;
  coveringFrom: Date | null;
  currency: string | null;
  /** The start of the first version after the edit: the edit holds until then. */
  nextFrom: Date | null;
  /** Planned sale ends after the edit with no other price set between: they restore this edit instead. */
  restoreIds: string[];
}

/** What a price the store reported at `at` meets on the store's list, read in one statement (under the item's lock). */
export async function storeEditContext(tx: SqlRunner, shopId: string, variantExternalId: string, at: Date): Promise<StoreEditContext | undefined> {
  const [row] = await tx.query<StoreEditContext>(
    `SELECT v.id AS "variantId", c.id::text AS "coveringId", c.amount::text AS "coveringAmount", c.valid_from AS "coveringFrom",
            coalesce(c.currency, (SELECT currency FROM price_version WHERE variant_id = v.id AND list = 'default' ORDER BY valid_from DESC LIMIT 1)) AS currency,
            (SELECT min(n.valid_from) FROM price_version n WHERE n.variant_id = v.id AND n.list = 'default' AND n.superseded_at IS NULL AND n.valid_from > $3) AS "nextFrom",
            coalesce((SELECT array_agg(r.id::text ORDER BY r.valid_from) FROM price_version r
               WHERE r.variant_id = v.id AND r.list = 'default' AND r.superseded_at IS NULL AND r.source = 'sale_end' AND r.valid_from > $3
                 AND NOT EXISTS (SELECT 1 FROM price_version b WHERE b.variant_id = v.id AND b.list = 'default' AND b.superseded_at IS NULL
                   AND b.source NOT IN ('sale', 'sale_end') AND b.valid_from > $3 AND b.valid_from < r.valid_from)), '{}') AS "restoreIds"
     FROM variant v
     LEFT JOIN price_version c ON c.variant_id = v.id AND c.list = 'default' AND c.superseded_at IS NULL
       AND c.valid_from <= $3 AND (c.valid_to IS NULL OR c.valid_to > $3)
     WHERE v.shop_id = $1 AND v.external_id = $2`,
    [shopId, variantExternalId, at.toISOString()],
  );
  return row;
}
