import type { SqlRunner } from "../db/database.server";
import { traceChanges, traceCorrelatedChanges } from "./sql/traceChanges";
import { traceInbox } from "./sql/traceInbox";
import { traceOrderEvents } from "./sql/traceOrderEvents";
import { traceRunItems, traceRunsOfChanges } from "./sql/traceRunItems";

// An event's path through Lockstep for staff: paste a webhook delivery id, an order id or a SKU and
// see where it went — received and stored in the inbox, applied, captured as a change, sent to each
// destination (run results) or delivered as an order event. One shop's rows only.

export type TraceStage = "received" | "stored" | "applied" | "failed" | "captured" | "sent" | "order_event";

export interface TraceStep {
  at: string;
  stage: TraceStage;
  /** What this step was about (topic, destination, change kind). */
  subject: string;
  detail: string;
  /** A page that shows more (the run), when there is one. */
  link?: string;
}

const MAX_KEY = 200;

/**
 * The steps found for `key` in the shop's inbox, change log, runs and order events, in time order.
 * A webhook delivery id is the correlation id: the changes it applied carry it, and the run items
 * that carried those changes (and the request they went in) are found from them.
 */
export async function traceEvent(sql: SqlRunner, shopId: string, rawKey: string): Promise<TraceStep[]> {
  const key = rawKey.trim().slice(0, MAX_KEY);
  if (!key) return [];
  const [deliveries, orderEvents, skuChanges, skuRunItems] = await Promise.all([
    traceInbox(sql, shopId, key),
    traceOrderEvents(sql, shopId, key),
    traceChanges(sql, shopId, key),
    traceRunItems(sql, shopId, key),
  ]);
  // Processed inbox rows are purged; their changes keep the delivery id, so the key itself is looked for too.
  const correlated = await traceCorrelatedChanges(sql, shopId, [...new Set([key, ...deliveries.map((delivery) => delivery.deliveryId)])]);
  const changes = uniqueBy([...correlated, ...skuChanges], (change) => change.id);
  const runItems = uniqueBy([...(await traceRunsOfChanges(sql, shopId, correlated.map((change) => change.id))), ...skuRunItems], (item) => `${item.runId}|${item.kind}|${item.sku}`);
  const iso = (value: Date) => new Date(value).toISOString();
  const steps: TraceStep[] = [];
  for (const delivery of deliveries) {
    const subject = `${delivery.topic} · delivery ${delivery.deliveryId}`;
    steps.push({ at: iso(delivery.receivedAt), stage: "received", subject, detail: `inbox row #${delivery.id}` });
    if (delivery.storedAt) steps.push({ at: iso(delivery.storedAt), stage: "stored", subject, detail: "durably stored, answered 200" });
    if (delivery.processedAt) steps.push({ at: iso(delivery.processedAt), stage: "applied", subject, detail: `${delivery.state} after ${delivery.attempts} attempt(s)` });
    else if (delivery.lastError) steps.push({ at: iso(delivery.receivedAt), stage: "failed", subject, detail: `${delivery.state} after ${delivery.attempts} attempt(s): ${delivery.lastError}` });
  }
  for (const change of changes) {
    const from = change.correlationId ? `from ${change.source} delivery ${change.correlationId}` : `from ${change.source}`;
    steps.push({ at: iso(change.capturedAt), stage: "captured", subject: `${change.kind} change #${change.id} · ${change.sku}`, detail: `${from}, occurred ${iso(change.occurredAt)}` });
  }
  for (const item of runItems) {
    const carried = item.tracedChangeId && item.tracedChangeId !== item.changeId ? `change #${item.tracedChangeId} (coalesced into #${item.changeId})` : `change #${item.changeId}`;
    steps.push({
      at: iso(item.at),
      stage: "sent",
      subject: `${item.destination} · run #${item.runId}`,
      detail: `${item.kind} ${item.sku}, ${carried}: ${item.outcome}${item.reason ? ` (${item.reason})` : ""}${item.batchId ? ` · request ${item.batchId.slice(0, 16)}` : ""}`,
      link: `/app/runs?destination=${item.destinationId}&run=${item.runId}`,
    });
  }
  for (const event of orderEvents) steps.push({ at: iso(event.createdAt), stage: "order_event", subject: `${event.destination} · ${event.eventType}`, detail: `${event.state} after ${event.attempts} attempt(s)${event.lastError ? `: ${event.lastError}` : ""}` });
  return steps.sort((a, b) => a.at.localeCompare(b.at));
}

function uniqueBy<T>(rows: T[], keyOf: (row: T) => string): T[] {
  const seen = new Set<string>();
  return rows.filter((row) => !seen.has(keyOf(row)) && seen.add(keyOf(row)) !== undefined);
}
