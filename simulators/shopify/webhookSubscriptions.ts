import { type ShopifyShop, gid, newId } from "./store";

/** `webhookSubscriptions` / `webhookSubscriptionCreate` (the shop-specific subscriptions an app makes through the Admin API) and the published theme's files. */
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
    // The published theme and its files: what an app reads to see whether its theme block was added.
    themes: (args: { roles?: string[] }) => {
      const nodes = !args.roles || args.roles.includes("MAIN") ? [mainTheme(shop)] : [];
      return { nodes, edges: nodes.map((node) => ({ cursor: node.id, node })), pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } };
    },
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

function mainTheme(shop: ShopifyShop) {
  return {
    __typename: "OnlineStoreTheme",
    id: gid("OnlineStoreTheme", 1),
    name: "Dawn",
    role: "MAIN",
    files: (args: { filenames?: string[] }) => {
      const nodes = [...shop.mainThemeFiles]
        .filter(([filename]) => !args.filenames || args.filenames.includes(filename))
        .map(([filename, content]) => ({ __typename: "OnlineStoreThemeFile", filename, size: String(content.length), contentType: "application/json", body: { __typename: "OnlineStoreThemeFileBodyText", content } }));
      return { nodes, edges: nodes.map((node) => ({ cursor: node.filename, node })), pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, userErrors: [] };
    },
  };
}
