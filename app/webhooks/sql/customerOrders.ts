import type { SqlRunner } from "../../db/database.server";

/** Who a compliance request is about: the customer's orders, and the orders it names. */
export interface CustomerSelection {
  shopId: string;
  customerExternalId: string | null;
  orderExternalIds: string[];
}

const CUSTOMER_ORDERS = `shop_id = $1 AND (customer_external_id = $2 OR external_id = ANY($3::text[]))`;

const params = (selection: CustomerSelection) => [selection.shopId, selection.customerExternalId, selection.orderExternalIds];

/** The orders a customer data request is about, as the merchant hands them over. */
export async function readCustomerOrders(tx: SqlRunner, selection: CustomerSelection): Promise<Record<string, unknown>[]> {
  return tx.query(
    `SELECT external_id AS "orderId", line_items AS "lineItems", total_price::text AS "totalPrice", currency, financial_status AS "financialStatus",
       cancelled, refunds, created_at AS "recordedAt"
     FROM platform_order WHERE ${CUSTOMER_ORDERS} ORDER BY created_at`,
    params(selection),
  );
}

/** Deletes the orders a customer redaction is about; their external ids. */
export async function deleteCustomerOrders(tx: SqlRunner, selection: CustomerSelection): Promise<string[]> {
  const rows = await tx.query<{ external_id: string }>(`DELETE FROM platform_order WHERE ${CUSTOMER_ORDERS} RETURNING external_id`, params(selection));
  return rows.map((row) => row.external_id);
}
