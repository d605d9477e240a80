import type { SqlRunner } from "../../db/database.server";

/** Inbox rows waiting (pending or processing) and the oldest one's stored time; a null shop: every shop. */
export async function getInboxBacklog(sql: SqlRunner, shopId: string | null): Promise<{ waiting: number; oldest: Date | null }> {
  const [row] = await sql.query<{ waiting: number; oldest: Date | null }>(
    `SELECT count(*)::int AS waiting, min(stored_at) AS oldest FROM webhook_inbox
     WHERE state IN ('pending', 'processing') AND ($1::uuid IS NULL OR shop_id = $1)`,
    [shopId],
  );
  return row ?? { waiting: 0, oldest: null };
}

/** Per enabled destination: captured changes past its watermark and the oldest one's capture time; a null shop: every shop. */
export async function getCaptureBacklogs(sql: SqlRunner, shopId: string | null): Promise<{ id: string; name: string; waiting: number; oldest: Date | null }[]> {
  return sql.query<{ id: string; name: string; waiting: number; oldest: Date | null }>(
    `SELECT d.id, d.name, count(c.id)::int AS waiting, min(c.captured_at) AS oldest
     FROM destination d LEFT JOIN change_record c ON c.shop_id = d.shop_id AND c.id > d.watermark
     WHERE d.enabled AND ($1::uuid IS NULL OR d.shop_id = $1)
     GROUP BY d.id, d.name ORDER BY d.name`,
    [shopId],
  );
}
