import type { SqlRunner } from "../../db/database.server";

/** The SKUs whose availability a change to this item moves: the item and every bundle it is part of. */
export async function listAffectedSkus(sql: SqlRunner, variantId: string): Promise<string[]> {
  const rows = await sql.query<{ sku: string }>(
    `SELECT sku FROM variant WHERE id = $1::uuid
     UNION SELECT v.sku FROM bundle_component b JOIN variant v ON v.id = b.bundle_variant_id WHERE b.component_variant_id = $1::uuid`,
    [variantId],
  );
  return rows.map((row) => row.sku);
}
