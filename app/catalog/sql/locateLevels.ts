/**
 * The CTEs that find the rows a list of level reports lands on, shared by the webhook consumers
 * and the backfill: `created_locations` adds a location the shop did not have yet (named by its
 * id until a location event names it), `located` is each row of `input` (columns shop_id, item,
 * location) with its `variant_id` and `location_id`. An item no variant carries yet is left out.
 */
export const LOCATE_LEVELS = `created_locations AS (
       INSERT INTO location (id, shop_id, external_id, name)
       SELECT DISTINCT ON (shop_id, location) gen_random_uuid(), shop_id, location, location FROM input
       ON CONFLICT (shop_id, external_id) DO NOTHING RETURNING id, shop_id, external_id
     ), located AS (
       SELECT i.*, v.id AS variant_id, COALESCE(c.id, l.id) AS location_id
       FROM input i
       JOIN LATERAL (SELECT id FROM variant WHERE shop_id = i.shop_id AND inventory_item_external_id = i.item LIMIT 1) v ON true
       LEFT JOIN created_locations c ON c.shop_id = i.shop_id AND c.external_id = i.location
       LEFT JOIN location l ON l.shop_id = i.shop_id AND l.external_id = i.location
     )`;
