import type { PrismaClient } from "../generated/prisma/client";

export interface StockRow {
  sku: string;
  product: string;
  variant: string;
  price: string;
  /** Units per location name. */
  onHandByLocation: Record<string, number>;
  onHand: number;
  committed: number;
  /** When the platform last reported a change to any of this item's levels. */
  sourceUpdatedAt: string | null;
}

export interface CatalogOverview {
  products: number;
  variants: number;
  locations: string[];
  unitsOnHand: number;
  /** The oldest `source_updated_at` among the levels: how stale the least fresh number is. */
  oldestLevelUpdate: string | null;
  newestLevelUpdate: string | null;
  rows: StockRow[];
}

/** What the admin's home page shows of a shop's catalog and stock. */
export async function getCatalogOverview(prisma: PrismaClient, shopId: string, limit = 200): Promise<CatalogOverview> {
  const [products, variants, locations, levels] = await Promise.all([
    prisma.product.count({ where: { shopId } }),
    prisma.variant.count({ where: { shopId } }),
    prisma.location.findMany({ where: { shopId, active: true }, orderBy: { name: "asc" }, select: { id: true, name: true } }),
    prisma.variant.findMany({
      where: { shopId },
      orderBy: { sku: "asc" },
      take: limit,
      select: {
        sku: true,
        title: true,
        price: true,
        product: { select: { title: true } },
        levels: { select: { locationId: true, onHand: true, committed: true, sourceUpdatedAt: true } },
      },
    }),
  ]);
  const locationName = new Map(locations.map((l) => [l.id, l.name]));
  let oldest: Date | null = null;
  let newest: Date | null = null;
  let unitsOnHand = 0;
  const rows = levels.map((variant) => {
    const onHandByLocation: Record<string, number> = {};
    let latest: Date | null = null;
    for (const level of variant.levels) {
      const name = locationName.get(level.locationId);
      if (name) onHandByLocation[name] = level.onHand;
      if (level.sourceUpdatedAt) {
        if (!latest || level.sourceUpdatedAt > latest) latest = level.sourceUpdatedAt;
        if (!oldest || level.sourceUpdatedAt < oldest) oldest = level.sourceUpdatedAt;
        if (!newest || level.sourceUpdatedAt > newest) newest = level.sourceUpdatedAt;
      }
    }
    const onHand = variant.levels.reduce((sum, level) => sum + level.onHand, 0);
    unitsOnHand += onHand;
    return {
      sku: variant.sku,
      product: variant.product.title,
      variant: variant.title,
      price: variant.price.toFixed(2),
      onHandByLocation,
      onHand,
      committed: variant.levels.reduce((sum, level) => sum + level.committed, 0),
      sourceUpdatedAt: latest?.toISOString() ?? null,
    };
  });
  return {
    products,
    variants,
    locations: locations.map((l) => l.name),
    unitsOnHand,
    oldestLevelUpdate: (oldest as Date | null)?.toISOString() ?? null,
    newestLevelUpdate: (newest as Date | null)?.toISOString() ?? null,
    rows,
  };
}
