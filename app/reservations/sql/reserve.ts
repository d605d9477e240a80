import type { SqlRunner } from "../../db/database.server";
import { holdsInScope, policyCte, stockPosition } from "../../inventory/sql/stockPosition";
import type { ReservationRow } from "./reservationRow";

export interface ReserveVerdict {
  /** Every hold row the change needs exists (they are created on first use, outside this statement). */
  holds_ready: boolean;
  unknown_skus: string[] | null;
  /** The shop reserves per location and no location was given. */
  location_missing: boolean;
  /** The key's reservation was already committed to an order: it no longer changes. */
  closed: boolean;
  enough: boolean;
}

export interface ReserveResult {
  verdict: ReserveVerdict;
  applied: boolean;
  created: boolean;
  reservation: ReservationRow | null;
  shortages: { sku: string; requested: number; available: number }[] | null;
  /** Hold rows (variant, scope) that do not exist yet. */
  missing_holds: { variant_id: string; scope: string }[] | null;
  /** SKUs whose availability changed (the items held and the bundles made of them). */
  changed_skus: string[] | null;
}

/**
 * Reserves all lines or none, for one key, in ONE statement (run through the function below):
 *   1. lock the key's reservation (if any) and read what it holds now;
 *   2. lock every hold row whose units change, in (variant, scope) order so two reservations never deadlock;
 *   3. compute availability from those locked rows (READ COMMITTED re-reads a row after waiting for its lock,
 *      so the check sees every reservation committed before);
 *   4. only if every line fits: move the units and write the reservation.
 * A second reservation for the same item waits on step 2 until this one commits, then checks again:
 * the total held can never exceed what is available. The key's own earlier hold is counted as its
 * own (the change is new − old), so a shopper is never blocked by their own cart.
 */
export async function reserve(
  sql: SqlRunner,
  input: { shopId: string; key: string; lines: { sku: string; quantity: number }[]; locationId: string | null; now: Date; ttlSeconds: number | null },
): Promise<ReserveResult> {
  const rows = await sql.query<ReserveResult>(
    `SELECT * FROM lockstep_reserve($1::uuid, $2::text, $3::text[], $4::int[], $5::uuid, $6::timestamptz, $7::int)`,
    [input.shopId, input.key, input.lines.map((l) => l.sku), input.lines.map((l) => l.quantity), input.locationId, input.now, input.ttlSeconds],
  );
  return rows[0]!;
}

/** The statement itself; parameters $1 shop, $2 key, $3 SKUs, $4 quantities, $5 location, $6 now, $7 TTL seconds (null: the shop's). */
export const RESERVE_STATEMENT = `WITH ${policyCte("$1")},
    requested AS (
      SELECT r.sku, sum(r.quantity)::int AS quantity, min(r.ord) AS ord
      FROM unnest($3::text[], $4::int[]) WITH ORDINALITY AS r(sku, quantity, ord) GROUP BY r.sku
    ),
    item AS (
      SELECT r.*, v.id AS variant_id FROM requested r LEFT JOIN variant v ON v.shop_id = $1::uuid AND v.sku = r.sku
    ),
    part AS (
      SELECT i.sku, i.quantity, coalesce(c.component_variant_id, i.variant_id) AS variant_id, coalesce(c.quantity, 1) AS per_item
      FROM item i LEFT JOIN bundle_component c ON c.bundle_variant_id = i.variant_id
      WHERE i.variant_id IS NOT NULL
    ),
    scoped AS (
      SELECT p.*, CASE WHEN st.virtual_kind IS NOT NULL THEN 'virtual'
                       WHEN pol.mode = 'per_location' THEN $5::uuid::text
                       ELSE 'all' END AS scope
      FROM part p CROSS JOIN policy pol LEFT JOIN inventory_item_setting st ON st.variant_id = p.variant_id
    ),
    needed AS (
      SELECT variant_id, scope, sum(quantity * per_item)::int AS q FROM scoped WHERE scope IS NOT NULL GROUP BY variant_id, scope
    ),
    existing AS MATERIALIZED (
      SELECT r.* FROM reservation r WHERE r.shop_id = $1::uuid AND r.key = $2 FOR UPDATE
    ),
    previous AS (
      SELECT (h->>'v')::uuid AS variant_id, h->>'s' AS scope, (h->>'q')::int AS q
      FROM existing e CROSS JOIN jsonb_array_elements(e.holds) h WHERE e.status = 'active'
    ),
    change AS (
      SELECT coalesce(n.variant_id, p.variant_id) AS variant_id, coalesce(n.scope, p.scope) AS scope,
             coalesce(n.q, 0) AS new_q, coalesce(p.q, 0) AS old_q
      FROM needed n FULL JOIN previous p ON p.variant_id = n.variant_id AND p.scope = n.scope
    ),
    locked AS MATERIALIZED (
      SELECT h.variant_id, h.scope, h.reserved, h.sold, h.pending, c.new_q - c.old_q AS delta, c.old_q
      FROM stock_hold h JOIN change c ON c.variant_id = h.variant_id AND c.scope = h.scope
      WHERE c.new_q <> c.old_q
      ORDER BY h.variant_id, h.scope
      FOR UPDATE OF h
    ),
    position AS (
      SELECT k.variant_id, k.scope, k.delta, k.old_q, pos.available
      FROM locked k
      -- Holds of the item in other scopes still count for the pooled scope (left by a change of policy).
      CROSS JOIN LATERAL (
        SELECT coalesce(sum(o.reserved), 0)::int AS reserved,
               (SELECT coalesce(jsonb_agg(e), '[]'::jsonb) FROM stock_hold o2, jsonb_array_elements(o2.pending) e
                 WHERE o2.variant_id = k.variant_id AND o2.scope <> k.scope AND ${holdsInScope("o2", "k.scope")}) AS pending
        FROM stock_hold o WHERE o.variant_id = k.variant_id AND o.scope <> k.scope AND ${holdsInScope("o", "k.scope")}
      ) other
      CROSS JOIN LATERAL ${stockPosition({ variant: "k.variant_id", scope: "k.scope", reserved: "(k.reserved + other.reserved)", sold: "k.sold", pending: "(k.pending || other.pending)", now: "$6::timestamptz" })} pos
    ),
    verdict AS (
      SELECT (SELECT count(*) FROM change WHERE new_q <> old_q) = (SELECT count(*) FROM locked) AS holds_ready,
             (SELECT array_agg(sku ORDER BY ord) FROM item WHERE variant_id IS NULL) AS unknown_skus,
             EXISTS (SELECT 1 FROM scoped WHERE scope IS NULL) AS location_missing,
             EXISTS (SELECT 1 FROM existing WHERE status = 'committed') AS closed,
             NOT EXISTS (SELECT 1 FROM position WHERE delta > 0 AND available < delta) AS enough
    ),
    go AS (
      SELECT holds_ready AND unknown_skus IS NULL AND NOT location_missing AND NOT closed AND enough AS ok FROM verdict
    ),
    moved AS (
      UPDATE stock_hold h SET reserved = h.reserved + k.delta
      FROM locked k
      WHERE (SELECT ok FROM go) AND h.variant_id = k.variant_id AND h.scope = k.scope
      RETURNING h.variant_id
    ),
    expiry AS (
      SELECT $6::timestamptz + make_interval(secs => coalesce($7::int, (SELECT reservation_ttl FROM policy))) AS expires_at
    ),
    new_lines AS (
      SELECT coalesce(jsonb_agg(jsonb_build_object('sku', sku, 'quantity', quantity) ORDER BY ord), '[]'::jsonb) AS lines FROM requested
    ),
    new_holds AS (
      SELECT coalesce(jsonb_agg(jsonb_build_object('v', variant_id, 's', scope, 'q', q) ORDER BY variant_id, scope), '[]'::jsonb) AS holds
      FROM needed WHERE q > 0
    ),
    created AS (
      INSERT INTO reservation (id, shop_id, key, status, lines, holds, location_id, expires_at, created_at, updated_at)
      SELECT gen_random_uuid(), $1::uuid, $2, 'active', nl.lines, nh.holds, $5::uuid, (SELECT expires_at FROM expiry), $6::timestamptz, $6::timestamptz
      FROM new_lines nl, new_holds nh
      WHERE (SELECT ok FROM go) AND NOT EXISTS (SELECT 1 FROM existing)
      RETURNING *
    ),
    adjusted AS (
      UPDATE reservation r
      SET status = 'active', lines = nl.lines, holds = nh.holds, location_id = $5::uuid, expires_at = (SELECT expires_at FROM expiry),
          updated_at = $6::timestamptz, released_at = NULL, release_reason = NULL
      FROM existing e, new_lines nl, new_holds nh
      WHERE r.id = e.id AND (SELECT ok FROM go)
      RETURNING r.*
    )
    SELECT (SELECT row_to_json(v) FROM verdict v) AS verdict,
           (SELECT ok FROM go) AS applied,
           EXISTS (SELECT 1 FROM created) AS created,
           coalesce((SELECT row_to_json(c) FROM created c), (SELECT row_to_json(a) FROM adjusted a), (SELECT row_to_json(e) FROM existing e)) AS reservation,
           (SELECT json_agg(json_build_object('sku', s.sku, 'requested', s.requested, 'available', s.available) ORDER BY s.ord)
              FROM (
                SELECT sc.sku, sc.quantity AS requested, min(i.ord) AS ord,
                       greatest(0, min(floor((p.available + p.old_q)::numeric / sc.per_item)))::int AS available
                FROM scoped sc JOIN position p ON p.variant_id = sc.variant_id AND p.scope = sc.scope
                JOIN item i ON i.sku = sc.sku
                GROUP BY sc.sku, sc.quantity
                HAVING bool_or(p.delta > 0 AND p.available < p.delta)
              ) s) AS shortages,
           (SELECT json_agg(json_build_object('variant_id', c.variant_id, 'scope', c.scope))
              FROM change c WHERE c.new_q <> c.old_q AND NOT EXISTS (SELECT 1 FROM locked k WHERE k.variant_id = c.variant_id AND k.scope = c.scope)) AS missing_holds,
           (SELECT array_agg(DISTINCT changed.sku) FROM (
              SELECT v.sku FROM locked k JOIN variant v ON v.id = k.variant_id
              UNION ALL
              SELECT v.sku FROM locked k JOIN bundle_component b ON b.component_variant_id = k.variant_id JOIN variant v ON v.id = b.bundle_variant_id
            ) changed WHERE (SELECT ok FROM go)) AS changed_skus`;

/** The function's body: the statement, columns winning over the function's output names. */
export const RESERVE_FUNCTION_BODY = `#variable_conflict use_column
BEGIN
  RETURN QUERY ${RESERVE_STATEMENT};
END`;

/**
 * The statement wrapped in a PL/pgSQL function, created by a migration: the function keeps the
 * statement's plan between calls, where a plain query is planned again every time (planning is
 * most of its cost, and on PGlite every millisecond is spent inside the one connection).
 * test/reservations/reserveFunction.test.ts fails when this text and the database's disagree:
 * a change here needs a new migration (npx tsx app/reservations/sql/reserve.ts prints it).
 */
export const RESERVE_FUNCTION = `CREATE OR REPLACE FUNCTION lockstep_reserve(uuid, text, text[], int[], uuid, timestamptz, int)
RETURNS TABLE (verdict json, applied boolean, created boolean, reservation json, shortages json, missing_holds json, changed_skus text[])
LANGUAGE plpgsql AS $lockstep$
${RESERVE_FUNCTION_BODY}
$lockstep$`;

// `npx tsx app/reservations/sql/reserve.ts` prints the migration that (re)creates the function.
if (import.meta.url === `file://${process.argv[1]}`) console.log(`${RESERVE_FUNCTION};\n`);
