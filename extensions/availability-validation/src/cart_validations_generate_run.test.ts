import { describe, expect, it } from "vitest";
import type { CartValidationsGenerateRunInput } from "../generated/api";
import type { AvailabilityValue } from "./availability";
import { cartValidationsGenerateRun } from "./cart_validations_generate_run";
import { outputErrors } from "./testing/functionSchema";

type Line = CartValidationsGenerateRunInput["cart"]["lines"][number];

const NOW = Date.parse("2026-11-27T02:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();
// Lockstep's heartbeat: written a minute ago, vouches for two more minutes.
const CLOCK = { at: iso(NOW - 60_000), validUntil: iso(NOW + 120_000), clockValidUntilLocal: "2026-11-27T03:02:00" };

function value(overrides: Partial<AvailabilityValue> & { available: number }): AvailabilityValue {
  return {
    updatedAt: iso(NOW - 30_000),
    stale: false,
    stock: "physical",
    stalePolicy: { maxAgeSeconds: 900, fallback: "cap", capQuantity: 1, lowStockThreshold: 3 },
    ...overrides,
  };
}

let nextLine = 1;
function variantLine(options: { variant: number; quantity: number; availability?: unknown; title?: string; product?: string; giftCard?: boolean }): Line {
  return {
    id: `gid://shopify/CartLine/${nextLine++}`,
    quantity: options.quantity,
    merchandise: {
      __typename: "ProductVariant",
      id: `gid://shopify/ProductVariant/${options.variant}`,
      sku: `SKU-${options.variant}`,
      title: options.title ?? "Blue / M",
      product: { title: options.product ?? "Merino Tee", isGiftCard: options.giftCard ?? false },
      availability: options.availability === undefined ? null : { jsonValue: options.availability },
    },
  };
}

function cart(lines: Line[], clock: { json?: unknown; expired?: boolean } = {}, language = "EN"): CartValidationsGenerateRunInput {
  return {
    cart: { lines },
    localization: { language: { isoCode: language as CartValidationsGenerateRunInput["localization"]["language"]["isoCode"] } },
    shop: { localTime: { clockExpired: clock.expired ?? false } },
    validation: { clock: "json" in clock ? (clock.json === undefined ? null : { jsonValue: clock.json }) : { jsonValue: CLOCK } },
  };
}

/** Runs the Function and checks its answer is one Shopify accepts. */
function run(input: CartValidationsGenerateRunInput) {
  const result = cartValidationsGenerateRun(input);
  expect(outputErrors(result)).toEqual([]);
  return result.operations.flatMap((operation) => operation.validationAdd?.errors ?? []);
}

describe("cart and checkout validation", () => {
  it("lets a cart through when every line is within availability", () => {
    const errors = run(cart([
      variantLine({ variant: 1, quantity: 3, availability: value({ available: 3 }) }),
      variantLine({ variant: 2, quantity: 1, availability: value({ available: 40 }) }),
    ]));
    expect(errors).toEqual([]);
  });

  it("blocks a line above availability with a message naming the item and the limit", () => {
    const errors = run(cart([
      variantLine({ variant: 1, quantity: 1, availability: value({ available: 5 }) }),
      variantLine({ variant: 2, quantity: 3, availability: value({ available: 2 }), title: "Red / S" }),
    ]));
    expect(errors).toEqual([
      { target: "$.cart.lines[1].quantity", message: "Only 2 units of Merino Tee (Red / S) left. Reduce the quantity to 2 or fewer." },
    ]);
  });

  it("says sold out when nothing is left, and leaves out the variant title of a single-variant product", () => {
    const errors = run(cart([variantLine({ variant: 1, quantity: 1, availability: value({ available: 0 }), title: "Default Title", product: "Canvas Tote" })]));
    expect(errors).toEqual([{ target: "$.cart.lines[0].quantity", message: "Canvas Tote is sold out." }]);
  });

  it("adds up the lines of one variant and blocks each of them when the total is too high", () => {
    const availability = value({ available: 1 });
    const errors = run(cart([
      variantLine({ variant: 7, quantity: 1, availability }),
      variantLine({ variant: 8, quantity: 1, availability: value({ available: 9 }) }),
      variantLine({ variant: 7, quantity: 1, availability }),
    ]));
    expect(errors.map((error) => error.target)).toEqual(["$.cart.lines[0].quantity", "$.cart.lines[2].quantity"]);
    expect(errors[0]!.message).toBe("Only 1 unit of Merino Tee (Blue / M) left. Reduce the quantities of its lines in your cart to 1 or fewer.");
  });

  it("blocks an item whose availability is missing or malformed: nothing vouches for it", () => {
    const malformed = [undefined, "3", { available: -1 }, { ...value({ available: 5 }), available: 2.5 }, { ...value({ available: 5 }), stalePolicy: { maxAgeSeconds: 900, fallback: "guess" } }, { ...value({ available: 5 }), updatedAt: "yesterday" }];
    for (const availability of malformed) {
      const errors = run(cart([variantLine({ variant: 3, quantity: 1, availability })]));
      expect(errors).toEqual([
        { target: "$.cart.lines[0].quantity", message: "We can't confirm stock for Merino Tee (Blue / M) right now, so it can't be bought at the moment." },
      ]);
    }
  });

  it("leaves gift cards and custom items alone", () => {
    const custom: Line = { id: "gid://shopify/CartLine/99", quantity: 5, merchandise: { __typename: "CustomProduct" } };
    const errors = run(cart([variantLine({ variant: 4, quantity: 10, giftCard: true, product: "Gift card", title: "$50" }), custom]));
    expect(errors).toEqual([]);
  });

  describe("stale availability", () => {
    const old = iso(NOW - 901_000);

    it("caps the quantity when the platform's confirmation is older than the shop's maximum age", () => {
      const availability = value({ available: 10, updatedAt: old });
      expect(run(cart([variantLine({ variant: 1, quantity: 1, availability })]))).toEqual([]);
      expect(run(cart([variantLine({ variant: 1, quantity: 2, availability })]))).toEqual([
        {
          target: "$.cart.lines[0].quantity",
          message: "We're confirming stock for Merino Tee (Blue / M): you can buy at most 1 unit right now. Reduce the quantity to 1 or fewer.",
        },
      ]);
    });

    it("never raises a low number to the cap, and a cap of 0 blocks the item", () => {
      const none = value({ available: 0, updatedAt: old, stalePolicy: { maxAgeSeconds: 900, fallback: "cap", capQuantity: 5, lowStockThreshold: 3 } });
      expect(run(cart([variantLine({ variant: 1, quantity: 1, availability: none })]))[0]!.message).toBe("We're confirming stock for Merino Tee (Blue / M); it can't be bought right now.");
      const blocked = value({ available: 8, updatedAt: old, stalePolicy: { maxAgeSeconds: 900, fallback: "cap", capQuantity: 0, lowStockThreshold: 3 } });
      expect(run(cart([variantLine({ variant: 1, quantity: 1, availability: blocked })]))).toHaveLength(1);
    });

    it("judges age against the latest the clock allows: stale exactly past the maximum age", () => {
      // validUntil is NOW + 120 s; the maximum age is 900 s.
      const justFresh = value({ available: 10, updatedAt: iso(NOW + 120_000 - 900_000) });
      const justStale = value({ available: 10, updatedAt: iso(NOW + 120_000 - 900_001) });
      expect(run(cart([variantLine({ variant: 1, quantity: 4, availability: justFresh })]))).toEqual([]);
      expect(run(cart([variantLine({ variant: 1, quantity: 4, availability: justStale })]))).toHaveLength(1);
    });

    it("blocks low stock and keeps plentiful stock with the block_low_stock fallback", () => {
      const policy = { maxAgeSeconds: 900, fallback: "block_low_stock" as const, capQuantity: 1, lowStockThreshold: 3 };
      const low = value({ available: 3, updatedAt: old, stalePolicy: policy });
      const plenty = value({ available: 12, updatedAt: old, stalePolicy: policy });
      const errors = run(cart([variantLine({ variant: 1, quantity: 1, availability: low }), variantLine({ variant: 2, quantity: 12, availability: plenty })]));
      expect(errors).toEqual([
        { target: "$.cart.lines[0].quantity", message: "Merino Tee (Blue / M) is in limited stock and we can't confirm it right now, so it can't be bought at the moment." },
      ]);
      expect(run(cart([variantLine({ variant: 2, quantity: 13, availability: plenty })]))).toHaveLength(1);
    });

    it("applies the fallback when Lockstep itself marked the value stale, however recent", () => {
      const errors = run(cart([variantLine({ variant: 1, quantity: 2, availability: value({ available: 10, stale: true, updatedAt: iso(NOW) }) })]));
      expect(errors).toHaveLength(1);
    });

    it("treats a never-confirmed item as stale", () => {
      expect(run(cart([variantLine({ variant: 1, quantity: 2, availability: value({ available: 10, updatedAt: null }) })]))).toHaveLength(1);
    });

    it("applies the fallback to every item once Lockstep's clock has expired or is missing", () => {
      const lines = [variantLine({ variant: 1, quantity: 2, availability: value({ available: 10 }) })];
      expect(run(cart(lines))).toEqual([]);
      expect(run(cart(lines, { expired: true }))).toHaveLength(1);
      expect(run(cart(lines, { json: undefined }))).toHaveLength(1);
      expect(run(cart(lines, { json: { at: CLOCK.at } }))).toHaveLength(1);
    });

    it("does not age preorder stock by the platform's confirmation, but still needs a live clock", () => {
      const preorder = value({ available: 20, stock: "preorder", updatedAt: iso(NOW - 86_400_000) });
      expect(run(cart([variantLine({ variant: 5, quantity: 20, availability: preorder })]))).toEqual([]);
      expect(run(cart([variantLine({ variant: 5, quantity: 21, availability: preorder })]))).toHaveLength(1);
      expect(run(cart([variantLine({ variant: 5, quantity: 2, availability: preorder })], { expired: true }))).toHaveLength(1);
    });
  });

  it("speaks the buyer's language, and English for a language it does not know", () => {
    const lines = [variantLine({ variant: 1, quantity: 3, availability: value({ available: 2 }) }), variantLine({ variant: 2, quantity: 1, availability: value({ available: 0 }), title: "Default Title", product: "Canvas Tote" })];
    expect(run(cart(lines, {}, "FR")).map((error) => error.message)).toEqual([
      "Il ne reste que 2 unités de Merino Tee (Blue / M). Réduisez la quantité à 2 au maximum.",
      "Canvas Tote est épuisé.",
    ]);
    expect(run(cart(lines, {}, "DE"))[1]!.message).toBe("Canvas Tote ist ausverkauft.");
    expect(run(cart(lines, {}, "ES"))[1]!.message).toBe("Canvas Tote está agotado.");
    expect(run(cart(lines, { expired: true }, "DE"))[0]!.message).toBe(
      "Wir bestätigen gerade den Bestand von Merino Tee (Blue / M): Du kannst im Moment höchstens 1 Stück kaufen. Verringere die Menge auf höchstens 1.",
    );
    expect(run(cart(lines, {}, "PT_BR"))[1]!.message).toBe("Canvas Tote is sold out.");
  });

  it("answers with no operation at all when nothing is blocked", () => {
    expect(cartValidationsGenerateRun(cart([]))).toEqual({ operations: [] });
  });
});
