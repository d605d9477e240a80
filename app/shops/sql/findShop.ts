import type { SqlRunner } from "../../db/database.server";
import type { Platform } from "../../generated/prisma/client";

/** A shop row as the raw-SQL callers need it (the workers, the backfill, the node:http edges). */
export interface ShopRecord {
  id: string;
  platform: Platform;
  /** `name.myshopify.com` or `stores/{hash}` (see ../platformIdentity.ts). */
  domain: string;
  installed: boolean;
}

const COLUMNS = `id, platform::text AS platform, domain, install_state = 'installed' AS installed`;

/** The shop with this id, or undefined. */
export async function findShopById(sql: SqlRunner, shopId: string): Promise<ShopRecord | undefined> {
  const rows = await sql.query<ShopRecord>(`SELECT ${COLUMNS} FROM shop WHERE id = $1::uuid`, [shopId]);
  return rows[0];
}

/** The shop with this domain on `platform` (any platform when omitted: the domains of the two never overlap). */
export async function findShopByDomainSql(sql: SqlRunner, domain: string, platform?: Platform): Promise<ShopRecord | undefined> {
  const rows = await sql.query<ShopRecord>(`SELECT ${COLUMNS} FROM shop WHERE domain = $1 AND ($2::text IS NULL OR platform::text = $2)`, [domain.trim().toLowerCase(), platform ?? null]);
  return rows[0];
}

/** Every installed shop of a platform (of both when omitted), in id order. */
export async function listInstalledShops(sql: SqlRunner, platform?: Platform): Promise<ShopRecord[]> {
  return sql.query<ShopRecord>(`SELECT ${COLUMNS} FROM shop WHERE ($1::text IS NULL OR platform::text = $1) AND install_state = 'installed' ORDER BY id`, [platform ?? null]);
}
