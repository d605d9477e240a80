import type { SqlRunner } from "../../db/database.server";
import type { ItemKind, ItemOutcome, PushedItem } from "../types";

/** An item of a run and its outcome; `item` absent for an item left alone (a rollback's skip). */
export interface RunItemRecord {
  kind: ItemKind;
  variantId: string;
  sku: string;
  item?: PushedItem;
  outcome: ItemOutcome;
  reason?: string;
}

/**
 * Records a page of a run's items with the state built for them (the run's snapshot) before they
 * go out. An item a previous attempt of the run settled (accepted, rejected) keeps its outcome.
 */
export async function recordRunItems(sql: SqlRunner, runId: string, destinationId: string, records: RunItemRecord[]): Promise<void> {
  if (records.length === 0) return;
  await sql.query(
    `INSERT INTO run_item (run_id, destination_id, kind, variant_id, sku, outcome, reason, version, change_id, state)
     SELECT $1::bigint, $2::uuid, i.kind, i.variant_id, i.sku, i.outcome, i.reason, i.version, i.change_id::bigint, i.state
     FROM json_to_recordset($3::json) AS i(kind text, variant_id uuid, sku text, outcome text, reason text, version timestamptz, change_id text, state jsonb)
     ON CONFLICT (run_id, kind, variant_id) DO UPDATE SET
       sku = EXCLUDED.sku, outcome = EXCLUDED.outcome, reason = EXCLUDED.reason, version = EXCLUDED.version, change_id = EXCLUDED.change_id, state = EXCLUDED.state
     WHERE run_item.outcome NOT IN ('accepted', 'rejected')`,
    [
      runId,
      destinationId,
      JSON.stringify(
        records.map((record) => ({
          kind: record.kind,
          variant_id: record.variantId,
          sku: record.sku,
          outcome: record.outcome,
          reason: record.reason ?? null,
          version: record.item?.version ?? new Date(0).toISOString(),
          change_id: record.item?.changeId ?? "0",
          state: record.item ?? {},
        })),
      ),
    ],
  );
}
