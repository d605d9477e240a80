import type { SqlRunner } from "../../db/database.server";

export interface StoredRollup {
  shopId: string;
  domain: string;
  stage: string;
  target: string;
  minute: Date;
  count: number;
  maxMs: number;
  buckets: number[];
}

/** Roll-ups in [from, to), of one shop or (shopId null) of the whole deployment. */
export async function readLatencyRollups(sql: SqlRunner, options: { shopId: string | null; from: Date; to: Date; domain?: string; stage?: string }): Promise<StoredRollup[]> {
  return sql.query<StoredRollup>(
    `SELECT shop_id AS "shopId", domain, stage, target, minute, count, max_ms AS "maxMs", buckets
     FROM latency_rollup
     WHERE ($1::uuid IS NULL OR shop_id = $1) AND minute >= $2 AND minute < $3
       AND ($4::text IS NULL OR domain = $4) AND ($5::text IS NULL OR stage = $5)
     ORDER BY minute`,
    [options.shopId, options.from, options.to, options.domain ?? null, options.stage ?? null],
  );
}
