// Staff's view and edit of a marketplace destination's field mapping (the admin Feeds page calls
// these): the mapping lives in the destination's options, so a change goes through
// updateDestination and the kind's own option validation — a bad mapping writes nothing.

import { type DestinationDeps, type DestinationView, listDestinations, requestRun, updateDestination } from "../batching/destinations.server";
import type { SqlRunner } from "../db/database.server";
import { LockstepError } from "../config/errors";
import { type AmazonListingsOptions, parseAmazonListingsOptions } from "./amazonListings.server";
import { type GoogleFieldMapping, MAPPABLE_FIELDS, mappedMetafields } from "./fieldMapping";
import { parseGoogleFeedOptions } from "./google/options";

export type FeedFieldMapping =
  | { kind: "google_feed"; fields: readonly string[]; mapping: GoogleFieldMapping; defaultBrand: string | null }
  | { kind: "amazon_listings"; productType: AmazonListingsOptions["productType"] };

async function marketplaceDestination(sql: SqlRunner, shopId: string, id: string): Promise<DestinationView> {
  const destination = (await listDestinations(sql, shopId)).find((candidate) => candidate.id === id);
  if (!destination) throw new LockstepError("destination_not_found", "No destination with this id in this shop");
  if (destination.kind !== "google_feed" && destination.kind !== "amazon_listings") {
    throw new LockstepError("invalid_destination", `A ${destination.kind} destination has no marketplace field mapping`, { field: "kind" });
  }
  return destination;
}

function mappingOf(destination: DestinationView): FeedFieldMapping {
  if (destination.kind === "amazon_listings") return { kind: "amazon_listings", productType: parseAmazonListingsOptions(destination.options).productType };
  const options = parseGoogleFeedOptions(destination.options);
  return { kind: "google_feed", fields: MAPPABLE_FIELDS, mapping: options.fieldMapping, defaultBrand: options.defaultBrand ?? null };
}

/** The mapping in force, defaults filled in. */
export async function feedFieldMapping(sql: SqlRunner, shopId: string, destinationId: string): Promise<FeedFieldMapping> {
  return mappingOf(await marketplaceDestination(sql, shopId, destinationId));
}

/**
 * Replaces the attributes given (Google: `brand`, `gtin`, `mpn`, `google_product_category` source
 * lists and `defaultBrand`; Amazon: `productType`) and asks for a full run, so every item is sent
 * again under the new mapping.
 */
export async function setFeedFieldMapping(deps: DestinationDeps, shopId: string, destinationId: string, raw: unknown): Promise<FeedFieldMapping> {
  const destination = await marketplaceDestination(deps.sql, shopId, destinationId);
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new LockstepError("invalid_destination", "The field mapping is an object", { field: "fieldMapping" });
  const current = destination.options as Record<string, unknown>;
  let options: Record<string, unknown>;
  if (destination.kind === "google_feed") {
    const { defaultBrand, ...attributes } = raw as Record<string, unknown>;
    options = { ...current, fieldMapping: { ...(current.fieldMapping as object | undefined), ...attributes } };
    if (defaultBrand !== undefined) options.defaultBrand = defaultBrand === null || defaultBrand === "" ? undefined : defaultBrand;
  } else {
    const unknown = Object.keys(raw).filter((key) => key !== "productType");
    if (unknown.length > 0) throw new LockstepError("invalid_destination", `options.fieldMapping: unknown attribute ${unknown[0]} (Amazon maps productType)`, { field: "fieldMapping" });
    options = { ...current, productType: (raw as { productType?: unknown }).productType ?? current.productType };
  }
  const updated = await updateDestination(deps, shopId, destinationId, { options });
  await requestRun(deps.sql, shopId, destinationId, "full");
  return mappingOf(updated);
}

/**
 * The product metafields (`namespace.key`) the shop's marketplace mappings name: what the catalog
 * backfill reads along. A destination whose stored options no longer parse names none.
 */
export async function mappedMetafieldsOfShop(sql: SqlRunner, shopId: string): Promise<string[]> {
  const sources: string[] = [];
  for (const destination of await listDestinations(sql, shopId)) {
    try {
      if (destination.kind === "google_feed") sources.push(...Object.values(parseGoogleFeedOptions(destination.options).fieldMapping).flat());
      if (destination.kind === "amazon_listings") sources.push(...parseAmazonListingsOptions(destination.options).productType.sources);
    } catch {
      continue;
    }
  }
  return mappedMetafields(sources);
}
