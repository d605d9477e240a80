import { SHOPIFY_TOPICS } from "../webhooks/normalise/shopify";

/** The topics `[[webhooks.subscriptions]] topics` of shopify.app.toml declares (a test keeps the two equal). */
export const TOML_TOPICS: readonly string[] = [
  "inventory_levels/update",
  "inventory_levels/connect",
  "inventory_levels/disconnect",
  "inventory_items/update",
  "products/create",
  "products/update",
  "products/delete",
  "orders/create",
  "orders/updated",
  "orders/cancelled",
  "orders/paid",
  "refunds/create",
  "locations/create",
  "locations/update",
  "locations/delete",
  "app/uninstalled",
  "app/scopes_update",
];

// Declared only as compliance_topics in the TOML; the Admin API cannot subscribe them.
const COMPLIANCE_TOPICS = new Set(["customers/data_request", "customers/redact", "shop/redact"]);

/** What Lockstep handles that the TOML does not subscribe: these are subscribed per shop through the Admin API at install. */
export function topicsTheTomlLacks(tomlTopics: readonly string[] = TOML_TOPICS): string[] {
  return SHOPIFY_TOPICS.filter((topic) => !COMPLIANCE_TOPICS.has(topic) && !tomlTopics.includes(topic));
}

/** `products/update` → `PRODUCTS_UPDATE`, the Admin API's WebhookSubscriptionTopic. */
export function graphqlTopic(topic: string): string {
  return topic.replace(/[/.]/g, "_").toUpperCase();
}
