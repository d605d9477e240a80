// Sends simulated Shopify inventory webhooks to a running Lockstep (the demo's shop by default):
//   SHOPIFY_API_SECRET=... npx tsx simulators/webhooks/send.ts [--url http://127.0.0.1:3000] [--events 200] [--rate 20]
// with 10 % duplicate deliveries, 5 % redeliveries of the same event, 20 % reordered by up to 2 s.
import { parseArgs } from "node:util";
import { DEMO_LOCATIONS, DEMO_PRODUCTS, DEMO_SHOP_DOMAIN, demoInventoryItemId } from "../../app/demo/seed.server";
import { runShopifyInventoryTraffic } from "./traffic";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:3000" },
    shop: { type: "string", default: DEMO_SHOP_DOMAIN },
    events: { type: "string", default: "200" },
    rate: { type: "string", default: "20" },
  },
});
const secret = process.env.SHOPIFY_API_SECRET;
if (!secret) {
  console.error("Set SHOPIFY_API_SECRET to the secret Lockstep verifies webhooks with (the demo prints it at start-up)");
  process.exit(1);
}
const result = await runShopifyInventoryTraffic({
  url: `${values.url.replace(/\/$/, "")}/webhooks/shopify`,
  secret,
  shopDomain: values.shop,
  inventoryItemIds: DEMO_PRODUCTS.flatMap((product) => product.variants.map((variant) => demoInventoryItemId(variant.id))),
  locationIds: DEMO_LOCATIONS.map((location) => location.id),
  events: Number(values.events),
  ratePerSecond: Number(values.rate),
  duplicateRate: 0.1,
  redeliveryRate: 0.05,
  reorderRate: 0.2,
  maxDelayMs: 2000,
  retryTimeScale: 0.001,
});
console.log(`Sent ${result.sent} deliveries (${result.duplicatesSent} duplicates) for ${values.events} events; answers: ${JSON.stringify(result.statuses)}`);
