import { LockstepError } from "../../config/errors";
import { type Clock, systemClock } from "../../config/clock";
import { type ShopifyAdminClient } from "./adminClient.server";
import { bulkOperationRunQuery, bulkOperationStatus } from "./documents/bulk";

export interface BulkRunOptions {
  clock?: Clock;
  pollIntervalMs?: number;
  /** Gives up waiting after this long (the operation keeps running on Shopify's side). */
  timeoutMs?: number;
}

/**
 * Starts a bulk query and waits for it; returns the JSONL URL (null when the result is empty).
 * Bulk operations are for large reads such as the initial backfill, not the hot path.
 */
export async function runBulkQuery(client: ShopifyAdminClient, query: string, options: BulkRunOptions = {}): Promise<string | null> {
  const clock = options.clock ?? systemClock;
  const pollIntervalMs = options.pollIntervalMs ?? 2_000;
  const deadline = clock.now() + (options.timeoutMs ?? 60 * 60_000);
  const { data } = await client.request(bulkOperationRunQuery, { query });
  const started = data.bulkOperationRunQuery;
  if (!started.bulkOperation || started.userErrors.length > 0) {
    throw new LockstepError("bulk_operation_rejected", started.userErrors.map((e) => e.message).join("; ") || "no bulk operation", {
      userErrors: started.userErrors,
    });
  }
  const id = started.bulkOperation.id;
  for (;;) {
    const { data: polled } = await client.request(bulkOperationStatus, { id });
    const operation = polled.bulkOperation;
    if (!operation) throw new LockstepError("bulk_operation_missing", `bulk operation ${id} vanished`);
    if (operation.status === "COMPLETED") return operation.url;
    if (["FAILED", "CANCELED", "EXPIRED"].includes(operation.status)) {
      throw new LockstepError("bulk_operation_failed", `bulk operation ${id} ended ${operation.status}`, {
        errorCode: operation.errorCode,
        partialDataUrl: operation.partialDataUrl,
      });
    }
    if (clock.now() >= deadline) throw new LockstepError("bulk_operation_timeout", `bulk operation ${id} still ${operation.status}`);
    await clock.sleep(pollIntervalMs);
  }
}

/** Streams the objects of a JSONL result file one line at a time. */
export async function* readJsonLines(url: string, fetchImpl: typeof fetch = fetch): AsyncGenerator<Record<string, unknown>> {
  const response = await fetchImpl(url);
  if (!response.ok || !response.body) throw new LockstepError("bulk_result_unreadable", `bulk result answered ${response.status}`);
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline !== -1) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) yield JSON.parse(line) as Record<string, unknown>;
      newline = buffered.indexOf("\n");
    }
  }
  const rest = (buffered + decoder.decode()).trim();
  if (rest) yield JSON.parse(rest) as Record<string, unknown>;
}
