import type { SqlRunner } from "../../db/database.server";

export interface SloPolicyRow {
  objectives: Record<string, number>;
  notify_url: string | null;
  notify_secret_sealed: string | null;
}

/** A shop's stored policy row (threshold overrides, notification URL, sealed secret), or undefined: the defaults. */
export async function readSloPolicy(sql: SqlRunner, shopId: string): Promise<SloPolicyRow | undefined> {
  const [row] = await sql.query<SloPolicyRow>(`SELECT objectives, notify_url, notify_secret_sealed FROM slo_policy WHERE shop_id = $1`, [shopId]);
  return row;
}

/** Writes a shop's policy in one statement; a null sealed secret keeps the one stored (a secret is never cleared by omission). */
export async function upsertSloPolicy(sql: SqlRunner, shopId: string, policy: { objectives: Record<string, number>; notifyUrl: string | null; notifySecretSealed: string | null }): Promise<void> {
  await sql.query(
    `INSERT INTO slo_policy (shop_id, objectives, notify_url, notify_secret_sealed, updated_at) VALUES ($1, $2::jsonb, $3, $4, now())
     ON CONFLICT (shop_id) DO UPDATE SET objectives = excluded.objectives, notify_url = excluded.notify_url,
       notify_secret_sealed = COALESCE(excluded.notify_secret_sealed, slo_policy.notify_secret_sealed), updated_at = now()`,
    [shopId, JSON.stringify(policy.objectives), policy.notifyUrl, policy.notifySecretSealed],
  );
}
