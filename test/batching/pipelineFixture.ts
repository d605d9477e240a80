import { createHash } from "node:crypto";
import { adapterRegistry } from "../../app/batching/adapters";
import { createDestination, type DestinationInput } from "../../app/batching/destinations.server";
import type { PipelineDeps } from "../../app/batching/runs.server";
import type { DestinationAdapter, ItemKind, ItemState, PushedItem } from "../../app/batching/types";
import type { Database } from "../../app/db/database.server";
import type { DomainEvent } from "../../app/events/domainEvents";
import { applyEvents } from "../../app/webhooks/consumers.server";

export const ENCRYPTION_KEY = "test-encryption-key-for-destinations";

/**
 * An idempotent receiver kept in memory, behind the same adapter interface as the real kinds:
 * a chunk id it has applied is dropped when sent again; it can lose the answer of a chunk after
 * applying it, refuse SKUs, or silently not keep one (for reconciliation).
 */
export interface MemoryReceiver {
  adapter: DestinationAdapter;
  held: Map<string, ItemState>;
  /** Every item application, in order: `kind:sku`. Repeats would be duplicates. */
  applied: string[];
  /** Every item application with the version it carried: `kind:sku@version`. The same one twice is a duplicate. */
  appliedVersions: string[];
  duplicateChunks: number;
  kindsInOrder: ItemKind[];
  /** Chunks (1-based, counted over the receiver's life) whose answer is lost after they were applied. */
  loseAnswerOfChunk: Set<number>;
  rejectSkus: Set<string>;
  /** SKUs answered `to_retry` (the receiver could not take them now) until removed. */
  retrySkus: Set<string>;
  /** While set, every chunk fails with this error before anything is applied. */
  failChunks?: string;
  /** Fails (throws, unanswered, nothing applied) the chunks for which it returns a message. */
  failChunkOf?: (page: PushedItem[]) => string | undefined;
  dropSkus: Set<string>;
  /** Resolved before each chunk is applied (tests hold a run part-way). */
  beforeChunk?: () => Promise<void>;
}

const stateOf = (item: PushedItem): ItemState =>
  item.kind === "stock" ? { available: item.available } : item.kind === "price" ? { price: item.price } : { title: item.title, price: item.price };

export function memoryReceiver(): MemoryReceiver {
  let chunks = 0;
  const seen = new Set<string>();
  const receiver: MemoryReceiver = {
    held: new Map(),
    applied: [],
    appliedVersions: [],
    duplicateChunks: 0,
    kindsInOrder: [],
    loseAnswerOfChunk: new Set(),
    rejectSkus: new Set(),
    retrySkus: new Set(),
    dropSkus: new Set(),
    adapter: {
      kind: "erp_http",
      delivery: "delta",
      parseOptions: (raw) => (raw ?? {}) as Record<string, unknown>,
      validate: (item) => (item.sku.startsWith("#") ? ["no SKU"] : []),
      stateOf,
      async publish(run, pages) {
        for await (const page of pages) {
          await receiver.beforeChunk?.();
          if (receiver.failChunks) throw new Error(receiver.failChunks);
          const failure = receiver.failChunkOf?.(page);
          if (failure) throw new Error(failure);
          chunks++;
          if (receiver.kindsInOrder.at(-1) !== run.kind) receiver.kindsInOrder.push(run.kind);
          const batchId = createHash("sha256")
            .update(run.runId + run.kind + JSON.stringify(page.map((item) => [item.sku, item.version, stateOf(item)])))
            .digest("hex");
          if (seen.has(batchId)) receiver.duplicateChunks++;
          else {
            seen.add(batchId);
            for (const item of page) {
              if (receiver.rejectSkus.has(item.sku) || receiver.retrySkus.has(item.sku)) continue;
              receiver.applied.push(`${item.kind}:${item.sku}`);
              receiver.appliedVersions.push(`${item.kind}:${item.sku}@${item.version}`);
              if (!receiver.dropSkus.has(item.sku)) receiver.held.set(`${item.kind}:${item.sku}`, stateOf(item));
            }
          }
          if (receiver.loseAnswerOfChunk.has(chunks)) throw new Error("connection reset after the chunk was applied");
          await run.report(
            page.map((item) =>
              receiver.rejectSkus.has(item.sku)
                ? { kind: run.kind, sku: item.sku, outcome: "rejected", reason: "unknown unit of measure", batchId }
                : receiver.retrySkus.has(item.sku)
                  ? { kind: run.kind, sku: item.sku, outcome: "to_retry", reason: "item locked by a user", batchId }
                  : { kind: run.kind, sku: item.sku, outcome: "accepted", batchId },
            ),
          );
        }
        return { files: [] };
      },
      async readBack(_destination, kind, skus) {
        return skus.map((sku) => ({ kind, sku, state: receiver.held.get(`${kind}:${sku}`) }));
      },
      async testConnection() {
        return { ok: true, message: "memory" };
      },
    },
  };
  return receiver;
}

export function pipelineDeps(db: Database, adapter: DestinationAdapter, clock: { now: Date }, owner = "test-process"): PipelineDeps {
  return { sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([adapter]), owner, now: () => clock.now, leaseMs: 60_000 };
}

export interface ShopFixture {
  shopId: string;
  skus: string[];
}

/** A shop with `count` variants (SKU-1…) of one product each, price 1.00, one location. */
export async function seedShop(db: Database, count: number): Promise<ShopFixture> {
  const [shop] = await db.sql.query<{ id: string }>(`INSERT INTO shop (id, platform, domain) VALUES (gen_random_uuid(), 'shopify', $1) RETURNING id`, [`batching-${Math.random().toString(36).slice(2)}.myshopify.com`]);
  const shopId = shop!.id;
  await db.sql.query(
    `WITH p AS (
       INSERT INTO product (id, shop_id, external_id, title) SELECT gen_random_uuid(), $1, 'P' || n, 'Product ' || n FROM generate_series(1, $2) n RETURNING id, external_id
     )
     INSERT INTO variant (id, shop_id, product_id, external_id, inventory_item_external_id, sku, title, price)
     SELECT gen_random_uuid(), $1, p.id, 'V' || substr(p.external_id, 2), 'I' || substr(p.external_id, 2), 'SKU-' || substr(p.external_id, 2), 'Default', 1 FROM p`,
    [shopId, count],
  );
  return { shopId, skus: Array.from({ length: count }, (_, i) => `SKU-${i + 1}`) };
}

/** Applies events the way the webhook worker does: one transaction, capture included. */
export async function applyInTransaction(db: Database, events: DomainEvent[]): Promise<void> {
  await db.sql.transaction((tx) => applyEvents(tx, events.map((event, index) => ({ event, inboxId: String(index + 1) }))));
}

export function priceChange(shopId: string, n: number, price: string, at: Date): DomainEvent {
  return { type: "VariantPriceChanged", shopId, occurredAt: at, productExternalId: `P${n}`, variantExternalId: `V${n}`, price } as DomainEvent;
}

/**
 * A destination as a test needs it. Unless `firstFullRun`, it is as if its first (full) run were
 * done with the watermark before every change: tests of deltas see only their own changes.
 */
export async function createTestDestination(db: Database, adapter: DestinationAdapter, shopId: string, input: Partial<DestinationInput> = {}, options: { firstFullRun?: boolean } = {}) {
  const created = await createDestination({ sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([adapter]) }, shopId, {
    name: "ERP",
    kind: "erp_http",
    endpoint: "http://127.0.0.1:9/erp",
    receives: ["price"],
    mode: "live",
    cadence: "*/15 * * * *",
    limits: { requestsPerSecond: 100, concurrency: 1, batchSize: 10 },
    ...input,
  });
  if (options.firstFullRun) return created;
  await db.sql.query(`UPDATE destination SET requested_run = NULL WHERE id = $1 AND requested_run = 'full'`, [created.id]);
  return { ...created, requestedRun: null };
}
