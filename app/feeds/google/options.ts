import { z } from "zod";
import { LockstepError } from "../../config/errors";
import { googleFieldMapping } from "../fieldMapping";

/** Format options of a Google feed destination (`destination.options`). */
const optionsSchema = z
  .object({
    /** The storefront the product links point to (`https://shop.example`). */
    storeUrl: z.string().url().refine((url) => /^https?:\/\//.test(url), "must be an http(s) URL"),
    currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code").default("USD"),
    /** Channel title of the RSS file. */
    title: z.string().min(1).max(150).default("Lockstep product feed"),
    /** Brand for items whose mapped brand is empty (a one-brand shop). */
    defaultBrand: z.string().min(1).max(70).optional(),
    /** Which catalog field (or fixed value) feeds brand, gtin, mpn and google_product_category. */
    fieldMapping: googleFieldMapping,
    /** A build that rejects more than this share of its items does not replace the published snapshot. */
    maxRejectedShare: z.number().min(0).max(1).default(0.05),
    /** Ready snapshots kept for rollback (the published one is always kept). */
    keepSnapshots: z.number().int().min(1).max(50).default(5),
    /** Watchdog: alert when Merchant Center has not fetched the feed for this long. */
    expectFetchWithinMinutes: z.number().int().min(1).default(24 * 60),
    /** Watchdog: alert when no snapshot was published for this long (Google expires items after 30 days). */
    expectRebuildWithinMinutes: z.number().int().min(1).default(24 * 60),
  })
  .strict();

export type GoogleFeedOptions = z.infer<typeof optionsSchema>;

export function parseGoogleFeedOptions(raw: unknown): GoogleFeedOptions {
  const parsed = optionsSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join(".") || "options";
  throw new LockstepError("invalid_destination", `options.${field}: ${issue.message}`, { field: `options.${field}` });
}
