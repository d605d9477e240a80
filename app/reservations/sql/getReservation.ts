import type { SqlRunner } from "../../db/database.server";
import type { ReservationRow } from "./reservationRow";

export async function getReservation(sql: SqlRunner, input: { shopId: string; id: string }): Promise<ReservationRow | null> {
  const rows = await sql.query<ReservationRow>(`SELECT * FROM reservation WHERE shop_id = $1::uuid AND id = $2::uuid`, [input.shopId, input.id]);
  return rows[0] ?? null;
}

export async function findReservationsByKeys(sql: SqlRunner, input: { shopId: string; keys: string[] }): Promise<ReservationRow[]> {
  return sql.query<ReservationRow>(`SELECT * FROM reservation WHERE shop_id = $1::uuid AND key = ANY($2::text[])`, [input.shopId, input.keys]);
}

export async function findReservationsByOrder(sql: SqlRunner, input: { shopId: string; orderExternalId: string }): Promise<ReservationRow[]> {
  return sql.query<ReservationRow>(`SELECT * FROM reservation WHERE shop_id = $1::uuid AND order_external_id = $2`, [input.shopId, input.orderExternalId]);
}
