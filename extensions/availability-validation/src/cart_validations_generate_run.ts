import type { CartValidationsGenerateRunInput, CartValidationsGenerateRunResult, ValidationError } from "../generated/api";
import { type Allowance, allowance, latestNow, readAvailability } from "./availability";
import { type Messages, messagesFor } from "./messages";

type CartLine = CartValidationsGenerateRunInput["cart"]["lines"][number];
type VariantMerchandise = Extract<CartLine["merchandise"], { __typename: "ProductVariant" }>;

interface ItemInCart {
  name: string;
  allowance: Allowance;
  /** Units of the item across every line (one variant can sit on several lines, e.g. with different properties). */
  quantity: number;
  lineIndexes: number[];
}

/**
 * Blocks every cart line whose item the cart holds more of than Lockstep says is available,
 * with one message per line. Runs on cart changes and at checkout (Shopify calls it for each).
 */
export function cartValidationsGenerateRun(input: CartValidationsGenerateRunInput): CartValidationsGenerateRunResult {
  const nowAtLatest = latestNow(input.validation.clock?.jsonValue, input.shop.localTime.clockExpired);
  const items = new Map<string, ItemInCart>();
  input.cart.lines.forEach((line, index) => {
    const merchandise = line.merchandise;
    // Gift cards and custom items have no stock for Lockstep to keep.
    if (merchandise.__typename !== "ProductVariant" || merchandise.product.isGiftCard) return;
    let item = items.get(merchandise.id);
    if (!item) {
      const value = readAvailability(merchandise.availability?.jsonValue);
      item = { name: itemName(merchandise), allowance: allowance(value, nowAtLatest), quantity: 0, lineIndexes: [] };
      items.set(merchandise.id, item);
    }
    item.quantity += line.quantity;
    item.lineIndexes.push(index);
  });

  const messages = messagesFor(input.localization.language.isoCode);
  const errors: ValidationError[] = [];
  for (const item of items.values()) {
    if (item.quantity <= item.allowance.limit) continue;
    const message = blockedMessage(item, messages);
    for (const index of item.lineIndexes) errors.push({ message, target: `$.cart.lines[${index}].quantity` });
  }
  return { operations: errors.length > 0 ? [{ validationAdd: { errors } }] : [] };
}

function itemName(variant: VariantMerchandise): string {
  const title = variant.title?.trim();
  return title && title !== "Default Title" ? `${variant.product.title} (${title})` : variant.product.title;
}

function blockedMessage(item: ItemInCart, messages: Messages): string {
  const { limit, reason } = item.allowance;
  const lines = item.lineIndexes.length;
  switch (reason) {
    case "unknown":
      return messages.unknown(item.name);
    case "fresh":
      return limit === 0 ? messages.soldOut(item.name) : messages.onlyLeft(item.name, limit, lines);
    case "stale_cap":
      return limit === 0 ? messages.confirmingNone(item.name) : messages.confirmingAtMost(item.name, limit, lines);
    case "stale_low_stock":
      return messages.limitedUnconfirmed(item.name);
  }
}
