import { createHmac, timingSafeEqual } from "node:crypto";
import { type IncomingHttpHeaders } from "node:http";
import { Webhook } from "standardwebhooks";
import { canonicalJson } from "../../app/batching/manifest";
import type { DestinationSimulatorOptions, HeldItem } from "./endpoint";

export interface BatchOutcome {
  status: number;
  body: unknown;
}

/**
 * What an ERP does with the pipeline's batches (app/batching/README.md, "the wire format"): checks
 * the signature and the batch size, applies each item unless told to refuse its SKU, keeps the
 * last item per SKU for read-back, and counts applications per SKU so tests can prove a resent
 * batch was not applied twice.
 */
export function batchReceiver(options: Pick<DestinationSimulatorOptions, "signingSecret" | "maxBatchSize">) {
  const maxBatchSize = options.maxBatchSize ?? 100;
  const webhook = options.signingSecret ? new Webhook(options.signingSecret) : undefined;
  const held = new Map<string, HeldItem>();
  const applied = new Map<string, number>();
  let rejections = new Map<string, string>();
  const key = (kind: string, sku: string) => `${kind}\n${sku}`;

  return {
    signedBy(body: string, headers: IncomingHttpHeaders): boolean {
      if (!webhook) return true;
      try {
        webhook.verify(body, {
          "webhook-id": String(headers["webhook-id"] ?? ""),
          "webhook-timestamp": String(headers["webhook-timestamp"] ?? ""),
          "webhook-signature": String(headers["webhook-signature"] ?? ""),
        });
        return true;
      } catch {
        return false;
      }
    },

    /** The manifest's `sha256=<hex>` HMAC over canonical JSON, keyed with the signing secret as given. */
    manifestSignedBy(manifest: unknown, signature: string): boolean {
      if (!options.signingSecret) return true;
      const expected = Buffer.from(`sha256=${createHmac("sha256", options.signingSecret).update(canonicalJson(manifest)).digest("hex")}`);
      const given = Buffer.from(signature);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },

    apply(kind: string, body: unknown): BatchOutcome {
      const items = (body as { items?: unknown } | undefined)?.items;
      if (!Array.isArray(items) || !items.every((item) => typeof (item as HeldItem)?.sku === "string" && (item as HeldItem).sku !== "")) {
        return { status: 400, body: { error: { code: "invalid_batch", message: "expected {items: [{sku, ...}]}" } } };
      }
      if (items.length > maxBatchSize) {
        return { status: 413, body: { error: { code: "batch_too_large", message: `at most ${maxBatchSize} items per batch, got ${items.length}` } } };
      }
      const results = (items as HeldItem[]).map((item) => {
        const reason = rejections.get(item.sku);
        if (reason) return { sku: item.sku, status: "rejected", reason };
        held.set(key(kind, item.sku), item);
        applied.set(key(kind, item.sku), (applied.get(key(kind, item.sku)) ?? 0) + 1);
        return { sku: item.sku, status: "accepted" };
      });
      return { status: 200, body: { results } };
    },

    held: (kind: string, sku: string): HeldItem | undefined => held.get(key(kind, sku)),
    appliedCount: (kind: string, sku: string): number => applied.get(key(kind, sku)) ?? 0,
    rejectItems(reasons: Record<string, string>): void {
      rejections = new Map([...rejections, ...Object.entries(reasons)]);
    },
    clearRejections(): void {
      rejections = new Map();
    },
  };
}
