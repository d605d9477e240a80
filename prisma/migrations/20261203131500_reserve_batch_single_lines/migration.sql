DROP FUNCTION IF EXISTS lockstep_reserve(uuid, text, text[], int[], uuid, timestamptz, int);
CREATE OR REPLACE FUNCTION lockstep_reserve(uuid, text, text[], int[], uuid, timestamptz, int, boolean)
RETURNS TABLE (verdict json, applied boolean, created boolean, reservation json, shortages json, missing_holds json, changed_skus text[])
LANGUAGE plpgsql AS $lockstep$
#variable_conflict use_column
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
  PERFORM pg_advisory_xact_lock(19539, hashtext($1::text || $2));
  SELECT r.* INTO existing FROM reservation r WHERE r.shop_id = $1 AND r.key = $2 FOR UPDATE;
  LOOP
    WITH policy AS MATERIALIZED (
    SELECT coalesce(p.availability_mode::text, 'pooled') AS mode,
           coalesce(p.default_safety_stock, 0) AS default_safety,
           coalesce(p.oversell_threshold, 0) AS oversell,
           coalesce(p.stale_after_seconds, 900) AS stale_after,
           coalesce(p.stale_action::text, 'cap') AS stale_action,
           coalesce(p.stale_cap_quantity, 1) AS stale_cap,
           coalesce(p.low_stock_threshold, 3) AS low_stock,
           coalesce(p.cache_ttl_seconds, 30) AS cache_ttl,
           coalesce(p.reservation_ttl_seconds, 900) AS reservation_ttl
    FROM (SELECT 1) AS one LEFT JOIN inventory_policy p ON p.shop_id = $1::uuid
  ),
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
    ),
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
        FROM stock_hold h WHERE h.variant_id = c.variant_id AND (h.scope = c.scope OR (c.scope = 'all' AND h.scope <> 'virtual'))
      ) hs
    ),
    position AS (
      SELECT k.variant_id, k.scope, k.delta, k.old_q, k.pending, k.ready, pos.available, pos.stale,
             -- Everything but this row's own reserved (and sold, for virtual stock): the update re-reads those.
             pos.raw + k.reserved + CASE WHEN k.scope = 'virtual' THEN k.sold ELSE 0 END AS rest
      FROM seen k
      LEFT JOIN LATERAL (
    SELECT
      CASE
        WHEN k.scope = 'virtual' THEN greatest(0, x.raw)
        WHEN lv.stale THEN CASE pol.stale_action
          WHEN 'cap' THEN least(greatest(0, x.raw), pol.stale_cap)
          WHEN 'hide_low_stock' THEN CASE WHEN x.raw <= pol.low_stock THEN 0 ELSE x.raw END
          ELSE 0 END
        ELSE greatest(0, x.raw + pol.oversell)
      END::int AS available,
      x.raw,
      (k.scope <> 'virtual' AND lv.stale) AS stale,
      CASE WHEN k.scope = 'virtual' THEN st.updated_at ELSE lv.updated_at END AS updated_at,
      st.virtual_kind::text AS virtual_kind,
      st.promise_date
    FROM policy pol
    LEFT JOIN inventory_item_setting st ON st.variant_id = k.variant_id
    CROSS JOIN LATERAL (
      SELECT coalesce(sum(l.on_hand - l.committed - l.safety_stock), 0)::int AS net,
             coalesce(bool_or(l.source_updated_at IS NULL OR l.source_updated_at < $6::timestamptz - make_interval(secs => pol.stale_after)), false) AS stale,
             max(l.source_updated_at) AS updated_at
      FROM inventory_level l JOIN location loc ON loc.id = l.location_id AND loc.active
      WHERE l.variant_id = k.variant_id AND k.scope <> 'virtual' AND (k.scope = 'all' OR l.location_id::text = k.scope)
    ) lv
    CROSS JOIN LATERAL (
      -- A committed hold stops counting once the platform's own numbers include its order (a level
      -- of the item lowered after it; see committedHolds.ts). Same row, same instant: never zero.
      SELECT coalesce(sum((e->>'q')::int), 0)::int AS q
      FROM jsonb_array_elements((k.pending || k.other_pending)) e
      WHERE NOT EXISTS (SELECT 1 FROM inventory_level done WHERE done.variant_id = k.variant_id AND done.lowered_at >= (e->>'at')::timestamptz)
    ) pq
    CROSS JOIN LATERAL (
      SELECT CASE WHEN k.scope = 'virtual' THEN coalesce(st.virtual_limit, 0) - k.sold - (k.reserved + k.other_reserved)
                  ELSE lv.net - coalesce(st.safety_stock, pol.default_safety) - (k.reserved + k.other_reserved) - pq.q END AS raw
    ) x
  ) pos
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
    FROM policy pol LEFT JOIN position p ON true INTO plan;
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
      CASE WHEN (checks->>'enough')::boolean THEN NULL ELSE (WITH policy AS MATERIALIZED (
    SELECT coalesce(p.availability_mode::text, 'pooled') AS mode,
           coalesce(p.default_safety_stock, 0) AS default_safety,
           coalesce(p.oversell_threshold, 0) AS oversell,
           coalesce(p.stale_after_seconds, 900) AS stale_after,
           coalesce(p.stale_action::text, 'cap') AS stale_action,
           coalesce(p.stale_cap_quantity, 1) AS stale_cap,
           coalesce(p.low_stock_threshold, 3) AS low_stock,
           coalesce(p.cache_ttl_seconds, 30) AS cache_ttl,
           coalesce(p.reservation_ttl_seconds, 900) AS reservation_ttl
    FROM (SELECT 1) AS one LEFT JOIN inventory_policy p ON p.shop_id = $1::uuid
  ),
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
    )
    SELECT json_agg(json_build_object('sku', s.sku, 'requested', s.requested, 'available', s.available) ORDER BY s.ord)
    FROM (
      SELECT sc.sku, sc.quantity AS requested, min(sc.ord) AS ord,
             greatest(0, min(floor((p.available + p.old)::numeric / sc.per_item)))::int AS available
      FROM scoped sc
      JOIN jsonb_to_recordset(plan.changes) AS p(v uuid, s text, d int, old int, available int) ON p.v = sc.variant_id AND p.s = sc.scope
      GROUP BY sc.sku, sc.quantity
      HAVING bool_or(p.d > 0 AND p.available < p.d)
    ) s) END,
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
      AND ((hold->>'d')::int <= 0 OR (h.pending = hold->'pending' AND CASE
        WHEN h.scope = 'virtual' THEN greatest(0, (hold_rest - h.reserved - CASE WHEN h.scope = 'virtual' THEN h.sold ELSE 0 END))
        WHEN hold_stale THEN CASE plan.stale_action
          WHEN 'cap' THEN least(greatest(0, (hold_rest - h.reserved - CASE WHEN h.scope = 'virtual' THEN h.sold ELSE 0 END)), plan.stale_cap)
          WHEN 'hide_low_stock' THEN CASE WHEN (hold_rest - h.reserved - CASE WHEN h.scope = 'virtual' THEN h.sold ELSE 0 END) <= plan.low_stock THEN 0 ELSE (hold_rest - h.reserved - CASE WHEN h.scope = 'virtual' THEN h.sold ELSE 0 END) END
          ELSE 0 END
        ELSE greatest(0, (hold_rest - h.reserved - CASE WHEN h.scope = 'virtual' THEN h.sold ELSE 0 END) + plan.oversell)
      END >= (hold->>'d')::int));
    IF NOT FOUND THEN
      RAISE EXCEPTION 'stock moved between plan and update; reserve again with the hold rows locked first' USING ERRCODE = 'LS001';
    END IF;
  END LOOP;
  RETURN QUERY SELECT plan.verdict, true, existing.id IS NULL, row_to_json(written), NULL::json, NULL::json, plan.changed_skus;
END
$lockstep$;

CREATE OR REPLACE FUNCTION lockstep_reserve_batch(uuid, text[], jsonb, uuid[], timestamptz[], int[])
RETURNS TABLE (n int, verdict json, applied boolean, created boolean, reservation json, shortages json, missing_holds json, changed_skus text[])
LANGUAGE plpgsql AS $lockstep$
#variable_conflict use_column
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
  PERFORM pg_advisory_xact_lock(19539, x.h) FROM (SELECT DISTINCT hashtext($1::text || k) AS h FROM unnest($2) AS k ORDER BY 1) x;
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
  FOR n, verdict, reservation, changed_skus IN WITH policy AS MATERIALIZED (
    SELECT coalesce(p.availability_mode::text, 'pooled') AS mode,
           coalesce(p.default_safety_stock, 0) AS default_safety,
           coalesce(p.oversell_threshold, 0) AS oversell,
           coalesce(p.stale_after_seconds, 900) AS stale_after,
           coalesce(p.stale_action::text, 'cap') AS stale_action,
           coalesce(p.stale_cap_quantity, 1) AS stale_cap,
           coalesce(p.low_stock_threshold, 3) AS low_stock,
           coalesce(p.cache_ttl_seconds, 30) AS cache_ttl,
           coalesce(p.reservation_ttl_seconds, 900) AS reservation_ttl
    FROM (SELECT 1) AS one LEFT JOIN inventory_policy p ON p.shop_id = $1::uuid
  ),
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
      CROSS JOIN LATERAL (
    SELECT
      CASE
        WHEN k.scope = 'virtual' THEN greatest(0, x.raw)
        WHEN lv.stale THEN CASE pol.stale_action
          WHEN 'cap' THEN least(greatest(0, x.raw), pol.stale_cap)
          WHEN 'hide_low_stock' THEN CASE WHEN x.raw <= pol.low_stock THEN 0 ELSE x.raw END
          ELSE 0 END
        ELSE greatest(0, x.raw + pol.oversell)
      END::int AS available,
      x.raw,
      (k.scope <> 'virtual' AND lv.stale) AS stale,
      CASE WHEN k.scope = 'virtual' THEN st.updated_at ELSE lv.updated_at END AS updated_at,
      st.virtual_kind::text AS virtual_kind,
      st.promise_date
    FROM policy pol
    LEFT JOIN inventory_item_setting st ON st.variant_id = k.variant_id
    CROSS JOIN LATERAL (
      SELECT coalesce(sum(l.on_hand - l.committed - l.safety_stock), 0)::int AS net,
             coalesce(bool_or(l.source_updated_at IS NULL OR l.source_updated_at < k.at - make_interval(secs => pol.stale_after)), false) AS stale,
             max(l.source_updated_at) AS updated_at
      FROM inventory_level l JOIN location loc ON loc.id = l.location_id AND loc.active
      WHERE l.variant_id = k.variant_id AND k.scope <> 'virtual' AND (k.scope = 'all' OR l.location_id::text = k.scope)
    ) lv
    CROSS JOIN LATERAL (
      -- A committed hold stops counting once the platform's own numbers include its order (a level
      -- of the item lowered after it; see committedHolds.ts). Same row, same instant: never zero.
      SELECT coalesce(sum((e->>'q')::int), 0)::int AS q
      FROM jsonb_array_elements(k.pending) e
      WHERE NOT EXISTS (SELECT 1 FROM inventory_level done WHERE done.variant_id = k.variant_id AND done.lowered_at >= (e->>'at')::timestamptz)
    ) pq
    CROSS JOIN LATERAL (
      SELECT CASE WHEN k.scope = 'virtual' THEN coalesce(st.virtual_limit, 0) - k.sold - k.reserved
                  ELSE lv.net - coalesce(st.safety_stock, pol.default_safety) - k.reserved - pq.q END AS raw
    ) x
  ) pos
      WINDOW earlier AS (PARTITION BY k.variant_id, k.scope ORDER BY k.n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ),
    fits AS (
      SELECT p.*, bool_and(CASE
        WHEN p.scope = 'virtual' THEN greatest(0, (p.raw - p.taken))
        WHEN p.stale THEN CASE pol.stale_action
          WHEN 'cap' THEN least(greatest(0, (p.raw - p.taken)), pol.stale_cap)
          WHEN 'hide_low_stock' THEN CASE WHEN (p.raw - p.taken) <= pol.low_stock THEN 0 ELSE (p.raw - p.taken) END
          ELSE 0 END
        ELSE greatest(0, (p.raw - p.taken) + pol.oversell)
      END >= p.q) OVER (PARTITION BY p.variant_id, p.scope ORDER BY p.n) AS fits, pol.reservation_ttl
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
    FROM fits f JOIN written w ON w.key = f.key LOOP
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
END
$lockstep$;

