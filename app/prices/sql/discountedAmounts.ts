import type { SqlRunner } from "../../db/database.server";

/** Each amount less `percent` %, rounded to the cent, in numeric arithmetic (no floats). */
export async function discountedAmounts(sql: SqlRunner, amounts: string[], percent: string): Promise<string[]> {
  const rows = await sql.query<{ amount: string }>(
    `SELECT round(a::numeric * (100 - $2::numeric) / 100, 2)::text AS amount FROM unnest($1::text[]) WITH ORDINALITY AS t(a, ord) ORDER BY ord`,
    [amounts, percent],
  );
  return rows.map((row) => row.amount);
}
