import type { SqlRunner } from "../../db/database.server";

/** Keeps what a GDPR request found or deleted, for the merchant to hand over or to show it was done. */
export async function recordComplianceRequest(
  tx: SqlRunner,
  request: { shopId: string; topic: string; requestExternalId?: string | null; customerExternalId?: string | null; result: unknown },
): Promise<void> {
  await tx.query(
    `INSERT INTO compliance_request (id, shop_id, topic, request_external_id, customer_external_id, result) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5::jsonb)`,
    [request.shopId, request.topic, request.requestExternalId ?? null, request.customerExternalId ?? null, JSON.stringify(request.result)],
  );
}
