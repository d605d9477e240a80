import type { SqlRunner } from "../../db/database.server";
import { availableFrom, holdsInScope, policyCte, stockPosition } from "../../inventory/sql/stockPosition";
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
 * Reserves all lines or none, for one key, in ONE call of the `lockstep_reserve` function (one
 * transaction). The hot rows — the `stock_hold` row of each item and scope — are locked for as
 * short a time as a raw conditional UPDATE would lock them:
 *   1. lock the key (KEY_LOCK_CLASS) and its reservation, if any: concurrent calls for the same key queue here;
 *   2. plan from a snapshot, locking nothing: what the lines need, the change against what the key
 *      holds now, every item's position and how it is clamped. A line that does not fit in that
 *      snapshot is refused there (409 with the shortages), without locking a hold row;
 *   3. write the reservation (its own row, not a hot one);
 *   4. last, move the units: one conditional UPDATE per hold row in (variant, scope) order (so two
 *      reservations never deadlock), whose WHERE re-checks availability on the row as it is now —
 *      READ COMMITTED re-evaluates it on the newest version after waiting for a concurrent holder's
 *      commit, so the total held can never exceed what is available;
 *   5. commit: only now do the hot rows' locks go.
 * If a conditional UPDATE finds the row moved past what the snapshot allows (someone took the last
 * units in between, or a commit changed its pending list), the function raises RESERVE_RACE and
 * everything it wrote is undone; `reserve` then runs it again with `lockFirst`, which locks the
 * hold rows before planning, so the second plan is exact and its updates cannot miss.
 * The key's own earlier hold is counted as its own (the change is new − old), so a shopper is
 * never blocked by their own cart.
 */
export interface ReserveRequest {
  shopId: string;
  key: string;
  lines: { sku: string; quantity: number }[];
  locationId: string | null;
  now: Date;
  /** Null: the shop's reservation TTL. */
  ttlSeconds: number | null;
}

export async function reserve(sql: SqlRunner, input: ReserveRequest & { lockFirst: boolean }): Promise<ReserveResult> {
  const rows = await sql.query<ReserveResult>(
    `SELECT * FROM lockstep_reserve($1::uuid, $2::text, $3::text[], $4::int[], $5::uuid, $6::timestamptz, $7::int, $8::boolean)`,
    [input.shopId, input.key, input.lines.map((l) => l.sku), input.lines.map((l) => l.quantity), input.locationId, input.now, input.ttlSeconds, input.lockFirst],
  );
  return rows[0]!;
}

/**
 * Every reservation first takes a transaction lock on its key (advisory, this class, the key's
 * hash): two calls for the same key queue there, before either holds anything else. Without it, a
 * call inserting a new key while another, already holding hold rows, inserts the same key would
 * wait on each other (the unique index waits for the first insert's transaction).
 */
const KEY_LOCK_CLASS = 0x4c53; // "LS"

/** SQLSTATE the function raises when a hold row moved between its plan and its update (see above). */
export const RESERVE_RACE = "LS001";

/**
 * What the lines need, resolved from the function's parameters ($1 shop, $3 SKUs, $4 quantities,
 * $5 location): the CTEs `policy`, `requested`, `item` (SKU → variant), `scoped` (bundles expanded
 * into components, each with its scope) and `needed` (units per hold row). Shared by the plan and
 * the shortage report, so both read the lines alike.
 */
const RESOLVE = `${policyCte("$1")},
    requested AS (
      SELECT r.sku, sum(r.quantity)::int AS quantity, min(r.ord) AS ord
      FROM unnest($3::text[], $4::int[]) WITH ORDINALITY AS r(sku, quantity, ord) GROUP BY r.sku
    ),
    item AS (
      SELECT r.*, v.id AS variant_id FROM requested r LEFT JOIN variant v ON v.shop_id = $1::uuid AND v.sku = r.sku
    ),
    scoped AS (
      SELECT i.sku, i.quantity, i.ord, coalesce(c.component_variant_id, i.variant_id) AS variant_id, coalesce(c.quantity, 1) AS per_item,
             CASE WHEN st.virtual_kind IS NOT NULL THEN 'virtual'
                  WHEN pol.mode = 'per_location' THEN $5::uuid::text
                  ELSE 'all' END AS scope
      FROM item i CROSS JOIN policy pol
      LEFT JOIN bundle_component c ON c.bundle_variant_id = i.variant_id
      LEFT JOIN inventory_item_setting st ON st.variant_id = coalesce(c.component_variant_id, i.variant_id)
      WHERE i.variant_id IS NOT NULL
    ),
    needed AS (
      SELECT variant_id, scope, sum(quantity * per_item)::int AS q FROM scoped WHERE scope IS NOT NULL GROUP BY variant_id, scope
    )`;

/**
 * The plan (step 2): one row with the verdict, the hold rows to change (in lock order) with what
 * their conditional update needs, the reservation's new lines / holds / expiry and the SKUs whose
 * availability the change moves. Reads the key's reservation as locked in step 1 (`existing`).
 * Kept lean on purpose: every plan node costs executor set-up on every call, and this runs once
 * per reservation; the shortage report is a separate statement run only on a refusal.
 */
export const PLAN = `WITH ${RESOLVE},
    previous AS (
      SELECT (h->>'v')::uuid AS variant_id, h->>'s' AS scope, (h->>'q')::int AS q
      FROM jsonb_array_elements(CASE WHEN existing.status = 'active' THEN existing.holds ELSE '[]'::jsonb END) h
    ),
    change AS (
      SELECT coalesce(n.variant_id, p.variant_id) AS variant_id, coalesce(n.scope, p.scope) AS scope,
             coalesce(n.q, 0) - coalesce(p.q, 0) AS delta, coalesce(p.q, 0) AS old_q
      FROM needed n FULL JOIN previous p ON p.variant_id = n.variant_id AND p.scope = n.scope
      WHERE coalesce(n.q, 0) <> coalesce(p.q, 0)
    ),
    seen AS (
      -- The row itself and, for the pooled scope, the item's holds in other scopes (left by a change
      -- of policy: they still count), in one pass over the item's hold rows.
      SELECT c.*, hs.*
      FROM change c CROSS JOIN LATERAL (
        SELECT coalesce(bool_or(h.scope = c.scope), false) AS ready,
               coalesce(sum(h.reserved) FILTER (WHERE h.scope = c.scope), 0)::int AS reserved,
               coalesce(sum(h.sold) FILTER (WHERE h.scope = c.scope), 0)::int AS sold,
               coalesce((array_agg(h.pending) FILTER (WHERE h.scope = c.scope))[1], '[]'::jsonb) AS pending,
               coalesce(sum(h.reserved) FILTER (WHERE h.scope <> c.scope), 0)::int AS other_reserved,
               coalesce(jsonb_path_query_array(jsonb_agg(h.pending) FILTER (WHERE h.scope <> c.scope), '$[*][*]'), '[]'::jsonb) AS other_pending
        FROM stock_hold h WHERE h.variant_id = c.variant_id AND ${holdsInScope("h", "c.scope")}
      ) hs
    ),
    position AS (
      SELECT k.variant_id, k.scope, k.delta, k.old_q, k.pending, k.ready, pos.available, pos.stale,
             -- Everything but this row's own reserved (and sold, for virtual stock): the update re-reads those.
             pos.raw + k.reserved + CASE WHEN k.scope = 'virtual' THEN k.sold ELSE 0 END AS rest
      FROM seen k
      LEFT JOIN LATERAL ${stockPosition({ variant: "k.variant_id", scope: "k.scope", reserved: "(k.reserved + k.other_reserved)", sold: "k.sold", pending: "(k.pending || k.other_pending)", now: "$6::timestamptz" })} pos
        ON k.ready
    )
    SELECT json_build_object(
             'holds_ready', coalesce(NOT bool_or(NOT p.ready), true),
             'unknown_skus', (SELECT array_agg(sku ORDER BY ord) FROM item WHERE variant_id IS NULL),
             'location_missing', EXISTS (SELECT 1 FROM scoped WHERE scope IS NULL),
             'closed', coalesce(existing.status = 'committed', false),
             'enough', coalesce(NOT bool_or(p.delta > 0 AND p.available < p.delta), true)
           ) AS verdict,
           coalesce(jsonb_agg(jsonb_build_object('v', p.variant_id, 's', p.scope, 'd', p.delta, 'old', p.old_q, 'ready', p.ready,
                                                 'pending', p.pending, 'rest', p.rest, 'stale', p.stale, 'available', p.available)
                              ORDER BY p.variant_id, p.scope) FILTER (WHERE p.variant_id IS NOT NULL), '[]'::jsonb) AS changes,
           (SELECT jsonb_agg(jsonb_build_object('sku', sku, 'quantity', quantity) ORDER BY ord) FROM requested) AS new_lines,
           (SELECT coalesce(jsonb_agg(jsonb_build_object('v', variant_id, 's', scope, 'q', q) ORDER BY variant_id, scope), '[]'::jsonb)
              FROM needed WHERE q > 0) AS new_holds,
           $6::timestamptz + make_interval(secs => coalesce($7::int, min(pol.reservation_ttl))) AS expires_at,
           (SELECT array_agg(DISTINCT x.sku) FROM variant x
             WHERE x.id IN (SELECT c.variant_id FROM change c UNION ALL
                            SELECT b.bundle_variant_id FROM change c JOIN bundle_component b ON b.component_variant_id = c.variant_id)) AS changed_skus,
           min(pol.stale_action) AS stale_action, min(pol.stale_cap) AS stale_cap, min(pol.low_stock) AS low_stock, min(pol.oversell) AS oversell
    FROM policy pol LEFT JOIN position p ON true`;

/**
 * Why a refusal was refused: per requested SKU short of stock, what it asked for and what it could
 * have had (a bundle: its scarcest component over the units per bundle), from the plan's rows.
 */
const SHORTAGES = `WITH ${RESOLVE}
    SELECT json_agg(json_build_object('sku', s.sku, 'requested', s.requested, 'available', s.available) ORDER BY s.ord)
    FROM (
      SELECT sc.sku, sc.quantity AS requested, min(sc.ord) AS ord,
             greatest(0, min(floor((p.available + p.old)::numeric / sc.per_item)))::int AS available
      FROM scoped sc
      JOIN jsonb_to_recordset(plan.changes) AS p(v uuid, s text, d int, old int, available int) ON p.v = sc.variant_id AND p.s = sc.scope
      GROUP BY sc.sku, sc.quantity
      HAVING bool_or(p.d > 0 AND p.available < p.d)
    ) s`;

/** Availability of a hold row as it is now (`h`, locked by the update), from the plan's numbers for it. */
const AVAILABLE_NOW = availableFrom({
  raw: "(hold_rest - h.reserved - CASE WHEN h.scope = 'virtual' THEN h.sold ELSE 0 END)",
  virtual: "h.scope = 'virtual'",
  stale: "hold_stale",
  staleAction: "plan.stale_action",
  staleCap: "plan.stale_cap",
  lowStock: "plan.low_stock",
  oversell: "plan.oversell",
});

/** The function's body (steps 1–5 above); `#variable_conflict use_column` lets columns win over variable names. */
export const RESERVE_FUNCTION_BODY = `#variable_conflict use_column
DECLARE
  existing reservation;
  plan record;
  written reservation;
  locked boolean := false;
  hold jsonb;
  hold_rest int;
  hold_stale boolean;
  checks jsonb;
BEGIN
  PERFORM pg_advisory_xact_lock(${KEY_LOCK_CLASS}, hashtext($1::text || $2));
  SELECT r.* INTO existing FROM reservation r WHERE r.shop_id = $1 AND r.key = $2 FOR UPDATE;
  LOOP
    ${PLAN} INTO plan;
    EXIT WHEN NOT $8 OR locked OR jsonb_array_length(plan.changes) = 0;
    -- lockFirst: lock the hold rows, then plan again from what they hold now.
    PERFORM 1 FROM stock_hold h JOIN jsonb_to_recordset(plan.changes) AS c(v uuid, s text) ON h.variant_id = c.v AND h.scope = c.s
      ORDER BY h.variant_id, h.scope FOR UPDATE OF h;
    locked := true;
  END LOOP;
  checks := plan.verdict::jsonb;
  IF NOT (checks->>'holds_ready')::boolean OR checks->>'unknown_skus' IS NOT NULL OR (checks->>'location_missing')::boolean
     OR (checks->>'closed')::boolean OR NOT (checks->>'enough')::boolean THEN
    RETURN QUERY SELECT plan.verdict, false, false, CASE WHEN existing.id IS NULL THEN NULL ELSE row_to_json(existing) END,
      CASE WHEN (checks->>'enough')::boolean THEN NULL ELSE (${SHORTAGES}) END,
      (SELECT json_agg(json_build_object('variant_id', c.v, 'scope', c.s)) FROM jsonb_to_recordset(plan.changes) AS c(v uuid, s text, ready boolean) WHERE NOT c.ready),
      NULL::text[];
    RETURN;
  END IF;
  IF existing.id IS NULL THEN
    INSERT INTO reservation (id, shop_id, key, status, lines, holds, location_id, expires_at, created_at, updated_at)
    VALUES (gen_random_uuid(), $1, $2, 'active', plan.new_lines, plan.new_holds, $5, plan.expires_at, $6, $6)
    RETURNING * INTO written;
  ELSE
    UPDATE reservation r
    SET status = 'active', lines = plan.new_lines, holds = plan.new_holds, location_id = $5, expires_at = plan.expires_at,
        updated_at = $6, released_at = NULL, release_reason = NULL
    WHERE r.id = existing.id
    RETURNING r.* INTO written;
  END IF;
  -- The plan lists the rows in (variant, scope) order: the order every statement locks them in.
  FOR i IN 0 .. jsonb_array_length(plan.changes) - 1 LOOP
    hold := plan.changes->i;
    hold_rest := (hold->>'rest')::int;
    hold_stale := (hold->>'stale')::boolean;
    UPDATE stock_hold h SET reserved = h.reserved + (hold->>'d')::int
    WHERE h.variant_id = (hold->>'v')::uuid AND h.scope = hold->>'s'
      AND ((hold->>'d')::int <= 0 OR (h.pending = hold->'pending' AND ${AVAILABLE_NOW} >= (hold->>'d')::int));
    IF NOT FOUND THEN
      RAISE EXCEPTION 'stock moved between plan and update; reserve again with the hold rows locked first' USING ERRCODE = '${RESERVE_RACE}';
    END IF;
  END LOOP;
  RETURN QUERY SELECT plan.verdict, true, existing.id IS NULL, row_to_json(written), NULL::json, NULL::json, plan.changed_skus;
END`;

/**
 * The function, created by a migration: PL/pgSQL keeps each statement's plan between calls, where
 * a plain query is planned again every time (planning is most of its cost, and on PGlite every
 * millisecond is spent inside the one connection).
 * test/reservations/reserveFunction.test.ts fails when this text and the database's disagree:
 * a change here needs a new migration (npx tsx app/reservations/sql/reserve.ts prints it).
 */
export const RESERVE_FUNCTION = `CREATE OR REPLACE FUNCTION lockstep_reserve(uuid, text, text[], int[], uuid, timestamptz, int, boolean)
RETURNS TABLE (verdict json, applied boolean, created boolean, reservation json, shortages json, missing_holds json, changed_skus text[])
LANGUAGE plpgsql AS $lockstep$
${RESERVE_FUNCTION_BODY}
$lockstep$`;

/**
 * Several reservations of one shop in one call, one transaction, one commit (see reserveQueue.ts).
 * It takes every lock its reservations may need before it runs the first, in the order every
 * statement takes them — the keys' locks (in hash order), their reservation rows (in id order), then the hold rows of every item named (and
 * of every item the keys hold now) in (variant, scope) order — so two batches, or a batch and a
 * single reservation, never deadlock, and no conditional update inside can find its row moved.
 * Returns one row per request, `n` its position. Parameters: $1 shop, $2 keys, $3 lines (a JSON
 * array of each request's [{sku, quantity}]), $4 locations, $5 times, $6 TTLs.
 */
export async function reserveBatch(sql: SqlRunner, requests: ReserveRequest[]): Promise<ReserveResult[]> {
  const rows = await sql.query<ReserveResult & { n: number }>(
    `SELECT * FROM lockstep_reserve_batch($1::uuid, $2::text[], $3::jsonb, $4::uuid[], $5::timestamptz[], $6::int[])`,
    [
      requests[0]!.shopId,
      requests.map((r) => r.key),
      JSON.stringify(requests.map((r) => r.lines)),
      requests.map((r) => r.locationId),
      requests.map((r) => r.now),
      requests.map((r) => r.ttlSeconds),
    ],
  );
  if (rows.length !== requests.length) throw new Error(`lockstep_reserve_batch answered ${rows.length} of ${requests.length} requests`);
  return rows.sort((a, b) => a.n - b.n);
}

/**
 * The batch's common requests in one statement (every hold row they touch is locked already, so
 * what it reads is exact): one line, a key not held yet and named once in the batch, an item that
 * is not a bundle, whose hold row this batch locked (one created since goes the long way: its lock
 * would come out of order) and, pooled, no holds of the item left in other scopes; and no earlier
 * request of the batch left to the long way may touch the item, so every hold row still serves the
 * batch's requests in their order. Each is planned as `lockstep_reserve` would plan it after the
 * earlier ones on its hold row (their units taken off the raw position before clamping) and
 * accepted while every earlier one on that row was; their reservations are inserted and each hold
 * row moved once. Executor set-up is most of a plan's cost: one statement for the batch instead of
 * one plan per request is the saving. Every other request (refused, unknown SKU, bundle, several
 * lines, a key held already...) then runs through `lockstep_reserve`, in the batch's order.
 * Parameters as the batch function's; `known`: the positions whose key has a reservation, `held`:
 * what those hold, `locked_variants` / `locked_scopes`: the hold rows the batch locked.
 */
const QUICK_BATCH = `WITH ${policyCte("$1")},
    request AS (
      SELECT g.n, $2[g.n] AS key, $3->(g.n - 1) AS lines,
             jsonb_array_length($3->(g.n - 1)) = 1 AND g.n <> ALL(known) AND count(*) OVER (PARTITION BY $2[g.n]) = 1 AS simple
      FROM generate_series(1, cardinality($2)) AS g(n)
    ),
    candidate AS (
      SELECT r.n, r.key, r.lines->0->>'sku' AS sku, (r.lines->0->>'quantity')::int AS q, $4[r.n] AS location_id, $5[r.n] AS at, $6[r.n] AS ttl,
             i.variant_id, i.scope, h.reserved, h.sold, h.pending
      FROM request r CROSS JOIN policy pol
      CROSS JOIN LATERAL (
        SELECT v.id AS variant_id,
               CASE WHEN st.virtual_kind IS NOT NULL THEN 'virtual' WHEN pol.mode = 'per_location' THEN $4[r.n]::text ELSE 'all' END AS scope
        FROM variant v LEFT JOIN inventory_item_setting st ON st.variant_id = v.id
        WHERE v.shop_id = $1 AND v.sku = r.lines->0->>'sku' AND NOT EXISTS (SELECT 1 FROM bundle_component c WHERE c.bundle_variant_id = v.id)
      ) i
      JOIN unnest(locked_variants, locked_scopes) AS lk(variant_id, scope) ON lk.variant_id = i.variant_id AND lk.scope = i.scope
      JOIN stock_hold h ON h.variant_id = i.variant_id AND h.scope = i.scope
      WHERE r.simple AND (i.scope <> 'all' OR NOT EXISTS (SELECT 1 FROM stock_hold o WHERE o.variant_id = i.variant_id AND o.scope NOT IN ('all', 'virtual')))
    ),
    touched AS (
      -- The items each request left to the long way may change: what its lines name (bundles
      -- expanded) and, for a key held already, anything held by a key of the batch.
      SELECT r.n, coalesce(c.component_variant_id, v.id) AS variant_id
      FROM request r CROSS JOIN LATERAL jsonb_array_elements(r.lines) l
      JOIN variant v ON v.shop_id = $1 AND v.sku = l->>'sku'
      LEFT JOIN bundle_component c ON c.bundle_variant_id = v.id
      WHERE r.n NOT IN (SELECT k.n FROM candidate k)
      UNION ALL
      SELECT r.n, u.variant_id FROM request r CROSS JOIN unnest(held) AS u(variant_id) WHERE r.n = ANY(known)
    ),
    item AS (
      -- A request goes before the long way's only where no earlier one there touches its item, so
      -- each hold row still serves the batch's requests in their order.
      SELECT k.* FROM candidate k WHERE NOT EXISTS (SELECT 1 FROM touched t WHERE t.n < k.n AND t.variant_id = k.variant_id)
    ),
    positioned AS (
      SELECT k.*, pos.raw, pos.stale, coalesce(sum(k.q) OVER earlier, 0) AS taken
      FROM item k
      CROSS JOIN LATERAL ${stockPosition({ variant: "k.variant_id", scope: "k.scope", reserved: "k.reserved", sold: "k.sold", pending: "k.pending", now: "k.at" })} pos
      WINDOW earlier AS (PARTITION BY k.variant_id, k.scope ORDER BY k.n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ),
    fits AS (
      SELECT p.*, bool_and(${availableFrom({
        raw: "(p.raw - p.taken)",
        virtual: "p.scope = 'virtual'",
        stale: "p.stale",
        staleAction: "pol.stale_action",
        staleCap: "pol.stale_cap",
        lowStock: "pol.low_stock",
        oversell: "pol.oversell",
      })} >= p.q) OVER (PARTITION BY p.variant_id, p.scope ORDER BY p.n) AS fits, pol.reservation_ttl
      FROM positioned p CROSS JOIN policy pol
    ),
    written AS (
      INSERT INTO reservation (id, shop_id, key, status, lines, holds, location_id, expires_at, created_at, updated_at)
      SELECT gen_random_uuid(), $1, f.key, 'active', jsonb_build_array(jsonb_build_object('sku', f.sku, 'quantity', f.q)),
             jsonb_build_array(jsonb_build_object('v', f.variant_id, 's', f.scope, 'q', f.q)), f.location_id,
             f.at + make_interval(secs => coalesce(f.ttl, f.reservation_ttl)), f.at, f.at
      FROM fits f WHERE f.fits
      RETURNING *
    ),
    moved AS (
      UPDATE stock_hold h SET reserved = h.reserved + m.q
      FROM (SELECT f.variant_id, f.scope, sum(f.q)::int AS q FROM fits f WHERE f.fits GROUP BY f.variant_id, f.scope) m
      WHERE h.variant_id = m.variant_id AND h.scope = m.scope
    )
    SELECT f.n, json_build_object('holds_ready', true, 'unknown_skus', NULL, 'location_missing', false, 'closed', false, 'enough', true),
           row_to_json(w),
           f.sku || ARRAY(SELECT b.sku FROM bundle_component c JOIN variant b ON b.id = c.bundle_variant_id WHERE c.component_variant_id = f.variant_id)
    FROM fits f JOIN written w ON w.key = f.key`;

// Keys are looked up one at a time on purpose: a set-based join to reservation, planned once while
// the table is small and cached for the connection's life, can settle on scanning the whole table.
export const RESERVE_BATCH_FUNCTION_BODY = `#variable_conflict use_column
DECLARE
  ids uuid[] := '{}';
  known int[] := '{}';
  done int[] := '{}';
  held uuid[] := '{}';
  held_now uuid[];
  found_id uuid;
  locked_variants uuid[];
  locked_scopes text[];
  plan_cache_mode_before text := current_setting('plan_cache_mode');
BEGIN
  PERFORM pg_advisory_xact_lock(${KEY_LOCK_CLASS}, x.h) FROM (SELECT DISTINCT hashtext($1::text || k) AS h FROM unnest($2) AS k ORDER BY 1) x;
  FOR i IN 1 .. cardinality($2) LOOP
    SELECT r.id INTO found_id FROM reservation r WHERE r.shop_id = $1 AND r.key = $2[i];
    IF FOUND THEN
      ids := ids || found_id;
      known := known || i;
    END IF;
  END LOOP;
  FOR found_id IN SELECT DISTINCT x FROM unnest(ids) AS x ORDER BY x LOOP
    SELECT CASE WHEN r.status = 'active' THEN ARRAY(SELECT (e->>'v')::uuid FROM jsonb_array_elements(r.holds) e) ELSE '{}' END
    INTO held_now FROM reservation r WHERE r.id = found_id FOR UPDATE;
    held := held || held_now;
  END LOOP;
  SELECT coalesce(array_agg(x.variant_id), '{}'), coalesce(array_agg(x.scope), '{}') INTO locked_variants, locked_scopes
  FROM (
    SELECT h.variant_id, h.scope FROM stock_hold h
    WHERE h.variant_id IN (
      SELECT coalesce(c.component_variant_id, v.id)
      FROM variant v LEFT JOIN bundle_component c ON c.bundle_variant_id = v.id
      WHERE v.shop_id = $1 AND v.sku IN (SELECT l->>'sku' FROM jsonb_array_elements($3) req, jsonb_array_elements(req) l)
      UNION
      SELECT unnest(held)
    )
    ORDER BY h.variant_id, h.scope FOR UPDATE
  ) x;
  -- Its generic plan, always: planning it for each batch's numbers costs more than running it.
  PERFORM set_config('plan_cache_mode', 'force_generic_plan', true);
  FOR n, verdict, reservation, changed_skus IN ${QUICK_BATCH} LOOP
    applied := true;
    created := true;
    done := done || n;
    RETURN NEXT;
  END LOOP;
  PERFORM set_config('plan_cache_mode', plan_cache_mode_before, true);
  FOR i IN 1 .. cardinality($2) LOOP
    CONTINUE WHEN i = ANY(done);
    RETURN QUERY SELECT i, r.* FROM lockstep_reserve(
      $1, $2[i],
      ARRAY(SELECT l->>'sku' FROM jsonb_array_elements($3->(i - 1)) l),
      ARRAY(SELECT (l->>'quantity')::int FROM jsonb_array_elements($3->(i - 1)) l),
      $4[i], $5[i], $6[i], false) r;
  END LOOP;
END`;

export const RESERVE_BATCH_FUNCTION = `CREATE OR REPLACE FUNCTION lockstep_reserve_batch(uuid, text[], jsonb, uuid[], timestamptz[], int[])
RETURNS TABLE (n int, verdict json, applied boolean, created boolean, reservation json, shortages json, missing_holds json, changed_skus text[])
LANGUAGE plpgsql AS $lockstep$
${RESERVE_BATCH_FUNCTION_BODY}
$lockstep$`;

// `npx tsx app/reservations/sql/reserve.ts` prints the migration that (re)creates the function.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`DROP FUNCTION IF EXISTS lockstep_reserve(uuid, text, text[], int[], uuid, timestamptz, int);\n${RESERVE_FUNCTION};\n\n${RESERVE_BATCH_FUNCTION};\n`);
}
