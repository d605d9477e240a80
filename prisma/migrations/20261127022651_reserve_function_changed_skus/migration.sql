-- The reservation statement as a function, so its plan is kept between calls (app/reservations/sql/reserve.ts).
CREATE OR REPLACE FUNCTION lockstep_reserve(uuid, text, text[], int[], uuid, timestamptz, int)
RETURNS TABLE (verdict json, applied boolean, created boolean, reservation json, shortages json, missing_holds json, changed_skus text[])
LANGUAGE plpgsql AS $lockstep$
#variable_conflict use_column
BEGIN
  RETURN QUERY WITH policy AS MATERIALIZED (
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
                 WHERE o2.variant_id = k.variant_id AND o2.scope <> k.scope AND (o2.scope = k.scope OR (k.scope = 'all' AND o2.scope <> 'virtual'))) AS pending
        FROM stock_hold o WHERE o.variant_id = k.variant_id AND o.scope <> k.scope AND (o.scope = k.scope OR (k.scope = 'all' AND o.scope <> 'virtual'))
      ) other
      CROSS JOIN LATERAL (
    SELECT
      CASE
        WHEN k.scope = 'virtual' THEN greatest(0, coalesce(st.virtual_limit, 0) - k.sold - (k.reserved + other.reserved))
        WHEN lv.stale THEN CASE pol.stale_action
          WHEN 'cap' THEN least(greatest(0, x.raw), pol.stale_cap)
          WHEN 'hide_low_stock' THEN CASE WHEN x.raw <= pol.low_stock THEN 0 ELSE x.raw END
          ELSE 0 END
        ELSE greatest(0, x.raw + pol.oversell)
      END::int AS available,
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
      -- A committed hold stops counting once a level of the item is newer than its order: from then
      -- on the platform's own numbers include the order. Same row, same instant: never twice, never zero.
      SELECT coalesce(sum((e->>'q')::int), 0)::int AS q
      FROM jsonb_array_elements((k.pending || other.pending)) e
      WHERE NOT EXISTS (
        SELECT 1 FROM inventory_level done
        WHERE done.variant_id = k.variant_id AND done.source_updated_at >= (e->>'at')::timestamptz
      )
    ) pq
    CROSS JOIN LATERAL (
      SELECT lv.net - coalesce(st.safety_stock, pol.default_safety) - (k.reserved + other.reserved) - pq.q AS raw
    ) x
  ) pos
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
            ) changed WHERE (SELECT ok FROM go)) AS changed_skus;
END
$lockstep$;

