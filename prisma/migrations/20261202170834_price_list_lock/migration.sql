-- Bulk price writes (a 100,000-item sale, a large CSV import) cannot take one advisory lock per
-- item and list: PostgreSQL's shared lock table holds max_locks_per_transaction × max_connections
-- entries (6,400 by default). Two-level locking instead: every writer holds the (shop, list) lock
-- shared plus the item's lock; a bulk writer holds the (shop, list) lock exclusively (class 20558,
-- app/prices/sql/lockPriceItems.ts) and names it in `lockstep.price_list_locks`, and then needs no
-- item locks: nobody else can write that list until it commits. A close (a version's window only
-- shortened) skips the overlap lookup.
CREATE OR REPLACE FUNCTION lockstep_price_version_no_overlap() RETURNS trigger
LANGUAGE plpgsql AS $lockstep$
DECLARE
  clash record;
  list_key text := NEW.shop_id::text || NEW.list;
BEGIN
  IF NEW.amount < 0 OR NEW.compare_at < 0 THEN
    RAISE EXCEPTION 'price_negative: a price cannot be negative' USING ERRCODE = '23514';
  END IF;
  IF NEW.valid_to IS NOT NULL AND NEW.valid_to <= NEW.valid_from THEN
    RAISE EXCEPTION 'price_empty_range: valid_to must be after valid_from' USING ERRCODE = '23514';
  END IF;
  IF NEW.superseded_at IS NOT NULL THEN
    RETURN NEW;
  END IF;
  -- Closing or shortening a version (SCD2's close, a sale's end moved earlier) cannot create an
  -- overlap: its new window lies inside its old one. Skipped, so a bulk close costs no lookups.
  IF TG_OP = 'UPDATE' AND OLD.superseded_at IS NULL AND NEW.shop_id = OLD.shop_id AND NEW.variant_id = OLD.variant_id AND NEW.list = OLD.list
     AND NEW.valid_from >= OLD.valid_from AND NEW.valid_to IS NOT NULL AND (OLD.valid_to IS NULL OR NEW.valid_to <= OLD.valid_to) THEN
    RETURN NEW;
  END IF;
  IF strpos('|' || coalesce(current_setting('lockstep.price_list_locks', true), '') || '|', '|' || list_key || '|') = 0 THEN
    PERFORM pg_advisory_xact_lock_shared(20558, hashtext(list_key));
    PERFORM pg_advisory_xact_lock(20557, hashtext(NEW.shop_id::text || NEW.variant_id::text || NEW.list));
  END IF;
  -- Planned per call (EXECUTE): a plan cached while the table was small would scan it whole on every row of a bulk insert.
  EXECUTE 'SELECT id, valid_from, valid_to FROM price_version
    WHERE shop_id = $1 AND variant_id = $2 AND list = $3 AND superseded_at IS NULL AND id <> $4
      AND tstzrange(valid_from, valid_to) && tstzrange($5, $6)
    LIMIT 1' INTO clash USING NEW.shop_id, NEW.variant_id, NEW.list, NEW.id, NEW.valid_from, NEW.valid_to;
  IF clash.id IS NOT NULL THEN
    RAISE EXCEPTION 'price_overlap: version % [%, %) overlaps version % [%, %) of the same item and list',
      NEW.id, NEW.valid_from, coalesce(NEW.valid_to::text, 'open'), clash.id, clash.valid_from, coalesce(clash.valid_to::text, 'open')
      USING ERRCODE = '23P01', DETAIL = json_build_object('conflictingVersion', clash.id::text)::text;
  END IF;
  RETURN NEW;
END
$lockstep$;
