/** A shop's latest backfill as staff and tests see it. */
export interface BackfillRecord {
  shopId: string;
  state: "running" | "done" | "failed";
  readAt: Date | null;
  locations: number;
  products: number;
  variants: number;
  levels: number;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

export const BACKFILL_COLUMNS = `shop_id AS "shopId", state::text AS state, read_at AS "readAt", locations, products, variants, levels, error,
  started_at AS "startedAt", finished_at AS "finishedAt"`;

/** pg gives timestamps as Date already; PGlite too. Counts are int columns, so numbers on both. */
export function toBackfillRecord(row: BackfillRecord): BackfillRecord {
  return { ...row, readAt: row.readAt ? new Date(row.readAt) : null, startedAt: new Date(row.startedAt), finishedAt: row.finishedAt ? new Date(row.finishedAt) : null };
}
