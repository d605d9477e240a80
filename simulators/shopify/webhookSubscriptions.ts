import { type ShopifyShop, gid, newId } from "./store";

/** `webhookSubscriptions` and `webhookSubscriptionCreate`: the shop-specific subscriptions an app makes through the Admin API. */
export function webhookSubscriptionRootResolvers(shop: ShopifyShop, now: () => number) {
  const subscriptionObject = (subscription: ShopifyShop["webhookSubscriptions"][number]) => ({
    __typename: "WebhookSubscription",
    id: gid("WebhookSubscription", subscription.id),
    legacyResourceId: String(subscription.id),
    topic: subscription.topic,
    uri: subscription.uri,
    callbackUrl: subscription.uri,
    format: "JSON",
    includeFields: [],
    metafieldNamespaces: [],
    filter: null,
    apiVersion: { __typename: "ApiVersion", handle: "2026-10", displayName: "2026-10", supported: true },
    endpoint: { __typename: "WebhookHttpEndpoint", callbackUrl: subscription.uri },
    createdAt: new Date(subscription.createdAt).toISOString(),
    updatedAt: new Date(subscription.createdAt).toISOString(),
  });
  return {
    webhookSubscriptions: (args: { first?: number; topics?: string[] }) => {
      const nodes = shop.webhookSubscriptions.filter((subscription) => !args.topics || args.topics.includes(subscription.topic)).slice(0, args.first ?? 50).map(subscriptionObject);
      return { nodes, edges: nodes.map((node) => ({ cursor: node.legacyResourceId, node })), pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } };
    },
    webhookSubscriptionCreate: (args: { topic: string; webhookSubscription: { uri?: string; callbackUrl?: string } }) => {
      const uri = args.webhookSubscription.uri ?? args.webhookSubscription.callbackUrl;
      if (!uri || !/^(https:\/\/|pubsub:\/\/|arn:aws:events:)/.test(uri)) {
        return { webhookSubscription: null, userErrors: [{ field: ["webhookSubscription", "uri"], message: "Address is invalid" }] };
      }
      if (shop.webhookSubscriptions.some((subscription) => subscription.topic === args.topic && subscription.uri === uri)) {
        return { webhookSubscription: null, userErrors: [{ field: ["webhookSubscription", "uri"], message: "Address for this topic has already been taken" }] };
      }
      const subscription = { id: newId(), topic: args.topic, uri, createdAt: now() };
      shop.webhookSubscriptions.push(subscription);
      return { webhookSubscription: subscriptionObject(subscription), userErrors: [] };
    },
  };
}
