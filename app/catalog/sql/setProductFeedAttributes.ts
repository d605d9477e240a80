import type { SqlRunner } from "../../db/database.server";
import type { ProductFeedAttributes } from "../feedAttributes";

/**
 * The feed attributes a product report carries (the product row was just written, so they are as
 * new as it). Metafields are replaced only when the report carried them (a products webhook carries
 * them only for the namespaces its subscription names): otherwise the stored ones stay.
 */
export async function setProductFeedAttributes(tx: SqlRunner, productId: string, attributes: ProductFeedAttributes): Promise<void> {
  await tx.query(
    `UPDATE product SET description = $2, url_path = $3, image_url = $4, brand = $5, condition = $6, metafields = COALESCE($7::jsonb, metafields) WHERE id = $1`,
    [
      productId,
      attributes.description ?? null,
      attributes.urlPath ?? null,
      attributes.imageUrl ?? null,
      attributes.brand ?? null,
      attributes.condition ?? null,
      attributes.metafields ? JSON.stringify(attributes.metafields) : null,
    ],
  );
}
