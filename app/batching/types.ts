// The contract between the pipeline (capture → coalesce → run → manifest) and the destination
// kinds that publish its items. A kind is one adapter behind `DestinationAdapter`; the pipeline
// owns everything else: watermarks, leases, validation results, snapshots, manifests, rollback.

/** Where a destination's items go and how they are carried. */
export type DestinationKind = "erp_http" | "sftp_files" | "google_feed" | "amazon_listings";

/** What a destination can receive; catalog goes before price, price before stock, in every run. */
export type ItemKind = "catalog" | "price" | "stock";
export const ITEM_KINDS_IN_ORDER: readonly ItemKind[] = ["catalog", "price", "stock"];
export type Receives = ItemKind | "orders";

/** Shadow: build, validate, record and diff against read-back, send nothing. Live: send. */
export type DestinationMode = "shadow" | "live";

export interface DestinationLimits {
  requestsPerSecond: number;
  concurrency: number;
  /** Items per request (ERP `$batch` caps at 100) or rows per file part. */
  batchSize: number;
}

/** A destination as the pipeline and its adapters see it: credentials already opened, never logged. */
export interface Destination<Options = Record<string, unknown>> {
  id: string;
  shopId: string;
  name: string;
  kind: DestinationKind;
  /** `https://erp.example/api`, `sftp://host:22/inbound`, … */
  endpoint: string;
  /** Opened from the sealed column only for the adapter; never shown back to staff. */
  credentials: Record<string, string>;
  receives: Receives[];
  /** Kind-specific format options (file format, column set, currency, …), validated by the adapter's schema. */
  options: Options;
  /**
   * The price list whose prices it receives (`options.priceList`, checked by the pipeline, not the
   * adapter): a named list (B2B, a marketplace); absent: the store's own.
   */
  priceList?: string;
  /** Cron expression (croner), e.g. `*\/15 * * * *`. */
  cadence: string;
  /** A run starts early once this many changes wait; null: cadence only. */
  sizeThreshold: number | null;
  limits: DestinationLimits;
  mode: DestinationMode;
  /** Secret for the manifest HMAC and the Standard Webhooks signature (`whsec_…`), opened from its sealed column. */
  signingSecret: string;
  /** Mismatched ÷ sent above this raises a reconciliation alert (0.001 = 0.1 %). */
  varianceThreshold: number;
}

/**
 * One item as a destination receives it: the newest state of a variant after coalescing, keyed by
 * shop + SKU. `version` is the source time of the newest change folded in (the platform's
 * updated_at); `changeId` the newest change record's id (the watermark position).
 */
interface PushedItemBase<K extends ItemKind> {
  kind: K;
  shopId: string;
  sku: string;
  /** Lockstep's variant id: stable when a SKU moves; adapters key by `sku`. */
  variantId: string;
  version: string;
  occurredAt: string;
  changeId: string;
  /** The product's metafields a marketplace field mapping names (`namespace.key` → value): added by the feed adapters' `prepare`, absent elsewhere. */
  metafields?: Record<string, string>;
}

export interface CatalogItem extends PushedItemBase<"catalog"> {
  productExternalId: string;
  variantExternalId: string;
  title: string;
  productTitle: string;
  /** active | draft | archived | deleted: a deleted product is pushed so the receiver can retire it. */
  status: string;
  price: string;
  currency: string;
  /** Feed attributes (absent when the platform gave none; feeds' validation names them when missing). */
  description?: string;
  imageUrl?: string;
  /** Absolute URL, or the storefront path (`/products/x`) a feed joins to its store URL. */
  link?: string;
  gtin?: string;
  brand?: string;
  mpn?: string;
  /** new | used | refurbished; absent: new. */
  condition?: string;
  /** The regular price when `price` is a sale (decimal string). */
  compareAtPrice?: string;
}

export interface PriceItem extends PushedItemBase<"price"> {
  /** Decimal string, never a float. */
  price: string;
  currency: string;
}

export interface StockItem extends PushedItemBase<"stock"> {
  /** On hand − committed summed over the shop's active locations. */
  available: number;
  locations: Array<{ location: string; available: number }>;
}

export type PushedItem = CatalogItem | PriceItem | StockItem;
export type PushedItemOf<K extends ItemKind> = Extract<PushedItem, { kind: K }>;

/** The fields of an item that reconciliation and rollback compare (no versions, no ids). */
export type ItemState = Record<string, string | number | boolean | null>;

/**
 * What became of one item in a run. `sent`: out, no answer yet; `to_retry`: not known to be
 * applied, the next attempt sends it again; `invalid`: refused by validation, never sent;
 * `skipped`: a rollback left it alone (changed since); `shadow`: would have been sent.
 */
export type ItemOutcome = "sent" | "accepted" | "rejected" | "invalid" | "to_retry" | "skipped" | "shadow";

export interface ItemResult {
  kind: ItemKind;
  sku: string;
  outcome: ItemOutcome;
  /** The receiver's reason (rejected) or the validation's (invalid). */
  reason?: string;
  /** Idempotency key of the chunk / name of the file that carried the item. */
  batchId?: string;
}

/** One file a run produced (files kinds, feeds); ERP HTTP runs have none. */
export interface ManifestFile {
  name: string;
  rows: number;
  bytes: number;
  sha256: string;
}

/** What the pipeline hands an adapter for one run. */
export interface PublishRun {
  runId: string;
  destination: Destination;
  kind: ItemKind;
  /** Resumed runs: chunks are cut the same way and carry the same ids, so the receiver drops repeats. */
  attempt: number;
  /** Why the run runs; a rollback names the run it rolls back (snapshot kinds switch back to what was served before it). */
  reason?: RunReason;
  rollbackOf?: string | null;
  /** Streamed into the run's delivery results as they arrive (memory stays flat). */
  report(results: ItemResult[]): Promise<void>;
  /** Aborted when the run's lease is lost or the process stops: stop sending, report what is known. */
  signal: AbortSignal;
  now(): Date;
}

export interface PublishResult {
  files: ManifestFile[];
}

/** What the destination holds for one SKU now; `undefined` state: it does not have the item. */
export interface ReadBackItem {
  kind: ItemKind;
  sku: string;
  state: ItemState | undefined;
  /** The version the receiver holds the state in, when it keeps one (the ERP's read-back does). */
  version?: string;
}

export interface ConnectionCheck {
  ok: boolean;
  message: string;
}

/**
 * A destination kind. Adapters never read the change log, the run tables or the clock of the
 * pipeline: they validate, carry items out, and tell what the receiver holds.
 */
export interface DestinationAdapter {
  kind: DestinationKind;
  /**
   * `delta`: a run gets the items changed since the watermark. `snapshot`: every run gets every
   * item of the kind (Google file feeds remove what a file omits).
   */
  delivery: "delta" | "snapshot";
  /**
   * Items read from the database per page. Absent: the destination's `limits.batchSize`, for kinds
   * that send a page as one request. A kind that streams pages into files reads larger pages: the
   * page is then only a read, and each read costs a round trip.
   */
  readPageSize?: number;
  /** Parses the kind's format options (zod); throws a LockstepError naming the bad field. */
  parseOptions(raw: unknown): Record<string, unknown>;
  /**
   * Optional: completes a page's items before validation and recording, e.g. the quantity a
   * marketplace is told (Lockstep's sellable availability instead of the summed levels). What it
   * returns is what gets validated, recorded (the snapshot) and published. Not called for rollbacks.
   */
  prepare?(items: PushedItem[], destination: Destination): Promise<PushedItem[]>;
  /** Reasons the item cannot be published to this kind (missing title, price, image, identifiers…); empty: fine. */
  validate(item: PushedItem, destination: Destination): string[];
  /** The fields of an item the receiver keeps, as compared by reconciliation and shadow diffs. */
  stateOf(item: PushedItem): ItemState;
  /** Sends valid items of one kind; every item gets exactly one result through `run.report`. */
  publish(run: PublishRun, items: AsyncIterable<PushedItem[]>): Promise<PublishResult>;
  /** Written after everything else (files kinds: the manifest file last). Optional for HTTP kinds. */
  publishManifest?(run: PublishRun, manifest: SignedManifest): Promise<void>;
  /** What the receiver holds for these SKUs (read-back or its acknowledgement file). */
  readBack(destination: Destination, kind: ItemKind, skus: string[]): Promise<ReadBackItem[]>;
  testConnection(destination: Destination): Promise<ConnectionCheck>;
  /**
   * Real-time kinds only (a destination that `receives` orders): delivers one order event, signed,
   * through app/outbound; resolves once the receiver took it, throws otherwise (a LockstepError
   * `outbound_rejected` when the receiver refused it: no retry helps). Delivered at least once: the
   * same event always carries the same `id` (receivers drop repeats by its `webhook-id`).
   */
  deliverEvent?(destination: Destination, event: OutboundEvent): Promise<void>;
}

/** A real-time event owed to a destination, in the Standard Webhooks payload shape. */
export interface OutboundEvent {
  /** Stable across attempts and replays: the `webhook-id` and `Idempotency-Key`. */
  id: string;
  /** `order.created`, `order.updated`, `order.cancelled`, `refund.created`. */
  type: string;
  /** When it happened at the source (ISO). */
  timestamp: string;
  /** The domain event: ids, tokens, line items and totals only (minimised before it was stored). */
  data: Record<string, unknown>;
}

export interface ManifestCounts {
  /** Change records in the watermark range. */
  changesIn: number;
  /** Items left after coalescing (one per SKU and kind). */
  itemsAfterCoalescing: number;
  /** Accepted by the receiver. */
  sent: number;
  /** Refused by validation or by the receiver. */
  rejected: number;
  /** Not known to be applied: the next attempt of the run sends them again. */
  failed: number;
  /** Shadow mode: built and validated, not sent. */
  shadowed: number;
}

/** What a run published, signed so the receiver can verify it (canonical JSON, HMAC-SHA256). */
export interface RunManifest {
  runId: string;
  destinationId: string;
  shopId: string;
  kindOfDestination: DestinationKind;
  mode: DestinationMode;
  reason: RunReason;
  /** Change ids (exclusive from, inclusive to): the delta this run covered. */
  watermark: { from: string; to: string };
  counts: ManifestCounts;
  files: ManifestFile[];
  createdAt: string;
}

export interface SignedManifest {
  manifest: RunManifest;
  /** `sha256=` + hex HMAC-SHA256 of canonicalJson(manifest) with the destination's signing secret. */
  signature: string;
}

export type RunReason = "schedule" | "catch_up" | "threshold" | "sync_now" | "full" | "rollback";
export type RunStatus = "running" | "succeeded" | "partial" | "failed";
