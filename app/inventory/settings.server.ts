import { LockstepError } from "../config/errors";
import { MAX_INT } from "../db/columnLimits";
import type { Database } from "../db/database.server";
import { listAffectedSkus } from "./sql/listAffectedSkus";
import { DEFAULT_POLICY, type InventoryPolicy, MAX_QUANTITY, MAX_RESERVATION_TTL_SECONDS } from "./policy";

/** Staff-facing settings of availability: the shop's policy, an item's own, bundles. Each change invalidates the cache. */
export interface InventorySettings {
  getPolicy(shopId: string): Promise<InventoryPolicy>;
  updatePolicy(shopId: string, patch: Partial<InventoryPolicy>): Promise<InventoryPolicy>;
  /** Safety stock of one item (null: the shop's default). */
  setSafetyStock(shopId: string, sku: string, safetyStock: number | null): Promise<void>;
  /** Sells the item from virtual stock (preorder / backorder) up to `limit`, or (null) from physical stock again. */
  setVirtualStock(shopId: string, sku: string, virtual: { kind: "preorder" | "backorder"; limit: number; promiseDate: Date | null } | null): Promise<void>;
  /** Makes `bundleSku` a bundle / kit of these components (an empty list makes it a plain item again). */
  setBundleComponents(shopId: string, bundleSku: string, components: { sku: string; quantity: number }[]): Promise<void>;
}

/** What a settings change tells: the availability cache (app/availability) drops what the change affects. */
export interface AvailabilityInvalidation {
  invalidate(shopId: string, skus: string[] | null): Promise<void>;
}

export function createInventorySettings(deps: { db: Database; availability: AvailabilityInvalidation }): InventorySettings {
  const { prisma } = deps.db;

  const variantOf = async (shopId: string, sku: string) => {
    const variant = await prisma.variant.findUnique({ where: { shopId_sku: { shopId, sku } }, select: { id: true } });
    if (!variant) throw new LockstepError("unknown_sku", `Unknown SKU: ${sku}`, { skus: [sku] });
    return variant.id;
  };

  const affectedSkus = (variantId: string) => listAffectedSkus(deps.db.sql, variantId);

  const nonNegative = (name: string, value: number | null | undefined) => {
    if (value !== undefined && value !== null && (!Number.isInteger(value) || value < 0 || value > MAX_INT)) {
      throw new LockstepError("invalid_setting", `${name} must be a whole number from 0 to ${MAX_INT}`);
    }
  };

  return {
    async getPolicy(shopId) {
      const row = await prisma.inventoryPolicy.findUnique({ where: { shopId } });
      return row ? pickPolicy(row) : { ...DEFAULT_POLICY };
    },

    async updatePolicy(shopId, patch) {
      for (const name of ["defaultSafetyStock", "oversellThreshold", "staleCapQuantity", "lowStockThreshold", "proxyExactStockUpTo"] as const) nonNegative(name, patch[name]);
      for (const name of ["cacheTtlSeconds", "staleAfterSeconds", "reservationTtlSeconds", "proxyMaxQuantity", "proxyMaxStockPercent", "proxyMaxHoldSeconds"] as const) {
        const value = patch[name];
        if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > MAX_INT)) throw new LockstepError("invalid_setting", `${name} must be a whole number from 1 to ${MAX_INT}`);
      }
      // product.md: the cache may serve an answer for at most 30 s.
      if (patch.cacheTtlSeconds !== undefined && patch.cacheTtlSeconds > 30) throw new LockstepError("invalid_setting", "cacheTtlSeconds must be at most 30");
      if (patch.proxyMaxStockPercent !== undefined && patch.proxyMaxStockPercent > 100) throw new LockstepError("invalid_setting", "proxyMaxStockPercent must be at most 100");
      if (patch.proxyMaxQuantity !== undefined && patch.proxyMaxQuantity > MAX_QUANTITY) throw new LockstepError("invalid_setting", `proxyMaxQuantity must be at most ${MAX_QUANTITY}`);
      if (patch.proxyMaxHoldSeconds !== undefined && patch.proxyMaxHoldSeconds > MAX_RESERVATION_TTL_SECONDS) {
        throw new LockstepError("invalid_setting", `proxyMaxHoldSeconds must be at most ${MAX_RESERVATION_TTL_SECONDS}`);
      }
      const data = pickPolicy({ ...(await this.getPolicy(shopId)), ...patch });
      const row = await prisma.inventoryPolicy.upsert({ where: { shopId }, create: { shopId, ...data }, update: data });
      await deps.availability.invalidate(shopId, null);
      return pickPolicy(row);
    },

    async setSafetyStock(shopId, sku, safetyStock) {
      nonNegative("safetyStock", safetyStock);
      const variantId = await variantOf(shopId, sku);
      await prisma.inventoryItemSetting.upsert({ where: { variantId }, create: { variantId, shopId, safetyStock }, update: { safetyStock } });
      await deps.availability.invalidate(shopId, await affectedSkus(variantId));
    },

    async setVirtualStock(shopId, sku, virtual) {
      if (virtual) nonNegative("limit", virtual.limit);
      const variantId = await variantOf(shopId, sku);
      const data = { virtualKind: virtual?.kind ?? null, virtualLimit: virtual?.limit ?? 0, promiseDate: virtual?.promiseDate ?? null };
      await prisma.inventoryItemSetting.upsert({ where: { variantId }, create: { variantId, shopId, ...data }, update: data });
      await deps.availability.invalidate(shopId, await affectedSkus(variantId));
    },

    async setBundleComponents(shopId, bundleSku, components) {
      const bundleId = await variantOf(shopId, bundleSku);
      const rows = [];
      for (const component of components) {
        if (!Number.isInteger(component.quantity) || component.quantity < 1) throw new LockstepError("invalid_setting", "a component's quantity must be a whole number of at least 1");
        const componentId = await variantOf(shopId, component.sku);
        if (componentId === bundleId) throw new LockstepError("invalid_setting", "a bundle cannot contain itself");
        rows.push({ shopId, bundleVariantId: bundleId, componentVariantId: componentId, quantity: component.quantity });
      }
      const nested = await prisma.bundleComponent.count({ where: { OR: [{ componentVariantId: bundleId }, { bundleVariantId: { in: rows.map((r) => r.componentVariantId) } }] } });
      if (nested > 0 && rows.length > 0) throw new LockstepError("invalid_setting", "bundles of bundles are not supported: list the components");
      // Holds already placed keep what they hold (each reservation records its own components).
      await prisma.$transaction([prisma.bundleComponent.deleteMany({ where: { bundleVariantId: bundleId } }), prisma.bundleComponent.createMany({ data: rows })]);
      await deps.availability.invalidate(shopId, [bundleSku]);
    },
  };
}

function pickPolicy(row: InventoryPolicy): InventoryPolicy {
  return {
    availabilityMode: row.availabilityMode,
    defaultSafetyStock: row.defaultSafetyStock,
    oversellThreshold: row.oversellThreshold,
    cacheTtlSeconds: row.cacheTtlSeconds,
    staleAfterSeconds: row.staleAfterSeconds,
    staleAction: row.staleAction,
    staleCapQuantity: row.staleCapQuantity,
    lowStockThreshold: row.lowStockThreshold,
    reservationTtlSeconds: row.reservationTtlSeconds,
    proxyMaxQuantity: row.proxyMaxQuantity,
    proxyMaxStockPercent: row.proxyMaxStockPercent,
    proxyMaxHoldSeconds: row.proxyMaxHoldSeconds,
    proxyExactStockUpTo: row.proxyExactStockUpTo,
  };
}
