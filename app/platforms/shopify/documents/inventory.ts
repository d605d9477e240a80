import { shopifyOperation } from "../operation";

export interface InventoryUserError {
  code: string | null;
  field: string[] | null;
  message: string;
}

export interface InventoryAdjustmentGroupResult {
  id: string;
  changes: Array<{ name: string; delta: number; quantityAfterChange: number | null; item: { id: string } | null; location: { id: string } | null }>;
}

export interface InventoryQuantityInput {
  inventoryItemId: string;
  locationId: string;
  quantity: number;
  /** What we believe the quantity is now (compare-and-swap); `null` opts out. */
  changeFromQuantity: number | null;
}

export interface InventoryChangeInput {
  inventoryItemId: string;
  locationId: string;
  delta: number;
  changeFromQuantity: number | null;
  ledgerDocumentUri?: string;
}

/** The group both inventory writes return, read once for the set and the adjust alike. */
const ADJUSTMENT_GROUP = /* GraphQL */ `
  fragment LockstepAdjustmentGroup on InventoryAdjustmentGroup {
    id
    changes {
      name
      delta
      quantityAfterChange
      item {
        id
      }
      location {
        id
      }
    }
  }
`;

/** Absolute quantities with compare-and-swap; `@idempotent` makes a network retry apply once. */
export const inventorySetQuantities = shopifyOperation<
  { inventorySetQuantities: { inventoryAdjustmentGroup: InventoryAdjustmentGroupResult | null; userErrors: InventoryUserError[] } },
  {
    idempotencyKey: string;
    input: { name: string; reason: string; referenceDocumentUri?: string; quantities: InventoryQuantityInput[] };
  }
>(/* GraphQL */ `
  mutation LockstepInventorySetQuantities($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
    inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
      inventoryAdjustmentGroup {
        ...LockstepAdjustmentGroup
      }
      userErrors {
        code
        field
        message
      }
    }
  }
  ${ADJUSTMENT_GROUP}
`);

/** Deltas (order-driven changes), also with compare-and-swap and an idempotency key. */
export const inventoryAdjustQuantities = shopifyOperation<
  { inventoryAdjustQuantities: { inventoryAdjustmentGroup: InventoryAdjustmentGroupResult | null; userErrors: InventoryUserError[] } },
  {
    idempotencyKey: string;
    input: { name: string; reason: string; referenceDocumentUri?: string; changes: InventoryChangeInput[] };
  }
>(/* GraphQL */ `
  mutation LockstepInventoryAdjustQuantities($input: InventoryAdjustQuantitiesInput!, $idempotencyKey: String!) {
    inventoryAdjustQuantities(input: $input) @idempotent(key: $idempotencyKey) {
      inventoryAdjustmentGroup {
        ...LockstepAdjustmentGroup
      }
      userErrors {
        code
        field
        message
      }
    }
  }
  ${ADJUSTMENT_GROUP}
`);

/** The current quantities of one item at one location: the re-read after a stale compare-and-swap. */
export const inventoryLevelQuantities = shopifyOperation<
  {
    inventoryItem: {
      id: string;
      inventoryLevel: { id: string; quantities: Array<{ name: string; quantity: number }> } | null;
    } | null;
  },
  { inventoryItemId: string; locationId: string; names: string[] }
>(/* GraphQL */ `
  query LockstepInventoryLevel($inventoryItemId: ID!, $locationId: ID!, $names: [String!]!) {
    inventoryItem(id: $inventoryItemId) {
      id
      inventoryLevel(locationId: $locationId) {
        id
        quantities(names: $names) {
          name
          quantity
        }
      }
    }
  }
`);
