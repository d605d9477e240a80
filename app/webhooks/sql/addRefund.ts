import type { SqlRunner } from "../../db/database.server";

/** Records a refund on its order, keyed by its id inside the order: the same refund applied twice is one refund. */
export async function addRefund(tx: SqlRunner, shopId: string, orderExternalId: string, refundExternalId: string, refund: { occurredAt: string; lineItems: unknown }): Promise<void> {
  await tx.query(
    `INSERT INTO platform_order (id, shop_id, external_id, refunds) VALUES (gen_random_uuid(), $1, $2, jsonb_build_object($3::text, $4::jsonb))
     ON CONFLICT (shop_id, external_id) DO UPDATE SET refunds = platform_order.refunds || EXCLUDED.refunds, updated_at = now()`,
    [shopId, orderExternalId, refundExternalId, JSON.stringify(refund)],
  );
}
