import type { SqlRunner } from "../../db/database.server";
import type { OrderCreated } from "../../events/domainEvents";

/** An order as one event reports it (the fields an event leaves out keep what the row has). */
export type ReportedOrder = Pick<OrderCreated, "shopId" | "orderExternalId"> &
  Partial<Pick<OrderCreated, "cartToken" | "checkoutToken" | "customerExternalId" | "currency" | "totalPrice" | "financialStatus" | "lineItems">> & {
    fulfillmentStatus?: string;
    cancelled: boolean;
    at: Date;
  };

/**
 * Writes an order as reported at `at`. Cancellation is final: an older update arriving late never
 * un-cancels; the tokens and customer are set once; other fields only move forward.
 */
export async function upsertOrder(tx: SqlRunner, order: ReportedOrder): Promise<void> {
  await tx.query(
    `INSERT INTO platform_order (id, shop_id, external_id, cart_token, checkout_token, customer_external_id, currency, total_price, financial_status, fulfillment_status, cancelled, line_items, source_updated_at)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7::numeric, $8, $9, $10, COALESCE($11::jsonb, '[]'), $12)
     ON CONFLICT (shop_id, external_id) DO UPDATE SET
       cancelled = platform_order.cancelled OR EXCLUDED.cancelled,
       cart_token = COALESCE(platform_order.cart_token, EXCLUDED.cart_token),
       checkout_token = COALESCE(platform_order.checkout_token, EXCLUDED.checkout_token),
       customer_external_id = COALESCE(platform_order.customer_external_id, EXCLUDED.customer_external_id),
       currency = CASE WHEN platform_order.source_updated_at IS NULL OR platform_order.source_updated_at <= $12 THEN COALESCE(EXCLUDED.currency, platform_order.currency) ELSE platform_order.currency END,
       total_price = CASE WHEN platform_order.source_updated_at IS NULL OR platform_order.source_updated_at <= $12 THEN COALESCE(EXCLUDED.total_price, platform_order.total_price) ELSE platform_order.total_price END,
       financial_status = CASE WHEN platform_order.source_updated_at IS NULL OR platform_order.source_updated_at <= $12 THEN COALESCE(EXCLUDED.financial_status, platform_order.financial_status) ELSE platform_order.financial_status END,
       fulfillment_status = CASE WHEN platform_order.source_updated_at IS NULL OR platform_order.source_updated_at <= $12 THEN COALESCE(EXCLUDED.fulfillment_status, platform_order.fulfillment_status) ELSE platform_order.fulfillment_status END,
       line_items = CASE WHEN $11::jsonb IS NOT NULL AND (platform_order.source_updated_at IS NULL OR platform_order.source_updated_at <= $12) THEN $11::jsonb ELSE platform_order.line_items END,
       source_updated_at = GREATEST(platform_order.source_updated_at, EXCLUDED.source_updated_at),
       updated_at = now()`,
    [
      order.shopId,
      order.orderExternalId,
      order.cartToken ?? null,
      order.checkoutToken ?? null,
      order.customerExternalId ?? null,
      order.currency ?? null,
      order.totalPrice ?? null,
      order.financialStatus ?? null,
      order.fulfillmentStatus ?? null,
      order.cancelled,
      order.lineItems ? JSON.stringify(order.lineItems) : null,
      order.at.toISOString(),
    ],
  );
}
