import type { SqlRunner } from "../../db/database.server";

/** Records the dismissal with the steps done at that moment (the guide comes back if one of them breaks). */
export async function dismissSetupGuide(sql: SqlRunner, shopId: string, stepsDone: string[], now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO onboarding_dismissal (shop_id, dismissed_at, steps_done) VALUES ($1::uuid, $2, $3::text[])
     ON CONFLICT (shop_id) DO UPDATE SET dismissed_at = EXCLUDED.dismissed_at, steps_done = EXCLUDED.steps_done`,
    [shopId, now.toISOString(), stepsDone],
  );
}

/** The merchant asked to see the guide again. */
export async function undismissSetupGuide(sql: SqlRunner, shopId: string): Promise<void> {
  await sql.query(`DELETE FROM onboarding_dismissal WHERE shop_id = $1::uuid`, [shopId]);
}
