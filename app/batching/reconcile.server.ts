import type { SqlRunner } from "../db/database.server";
import { log } from "../observability/log.server";
import { canonicalJson } from "./manifest";
import { type Mismatch, recordReconciliation } from "./sql/recordReconciliation";
import { readSentItems } from "./sql/readSentItems";
import { type Destination, type DestinationAdapter, ITEM_KINDS_IN_ORDER, type ItemState } from "./types";

const PAGE = 500;
/** An alert lists this many items at most; the variance counts them all. */
const LISTED = 1_000;

/** The receiver holds what was sent: every field sent, as sent (numbers and their text alike). */
export function sameState(sent: ItemState, held: ItemState | undefined): boolean {
  if (!held) return false;
  return Object.entries(sent).every(([field, value]) => canonicalJson(value) === canonicalJson(held[field]) || String(value) === String(held[field]));
}

/**
 * Reads back what the destination holds for the items a run delivered (shadow mode: would have
 * delivered) and compares it with what was sent. variance = mismatched ÷ compared; above the
 * destination's threshold an alert lists the items. Returns the variance.
 */
export async function reconcileRun(sql: SqlRunner, destination: Destination, adapter: DestinationAdapter, runId: string): Promise<number> {
  const outcome = destination.mode === "live" ? "accepted" : "shadow";
  let compared = 0;
  let mismatched = 0;
  const items: Mismatch[] = [];
  for (const kind of ITEM_KINDS_IN_ORDER) {
    let after = "00000000-0000-0000-0000-000000000000";
    for (;;) {
      const page = await readSentItems(sql, runId, kind, outcome, after, PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1]!.variantId;
      const held = new Map((await adapter.readBack(destination, kind, page.map((row) => row.state.sku))).map((entry) => [entry.sku, entry.state]));
      for (const row of page) {
        compared++;
        const sent = adapter.stateOf(row.state);
        const holds = held.get(row.state.sku);
        if (sameState(sent, holds)) continue;
        mismatched++;
        if (items.length < LISTED) items.push({ kind, sku: row.state.sku, sent, held: holds ?? null });
      }
    }
  }
  const variance = compared === 0 ? 0 : mismatched / compared;
  const alert = variance > destination.varianceThreshold;
  await recordReconciliation(sql, { id: runId, destinationId: destination.id }, { variance, mismatched, compared, items, alert });
  if (alert) log.warn("reconciliation variance above the destination's threshold", { destinationId: destination.id, runId, variance, mismatched, compared, threshold: destination.varianceThreshold });
  return variance;
}
