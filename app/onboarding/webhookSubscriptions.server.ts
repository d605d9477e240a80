import { LockstepError } from "../config/errors";
import { graphqlTopic } from "./webhookTopics";

/** An Admin GraphQL call: Shopify's `admin.graphql` after auth, or any client answering `{data, errors}`. */
export type AdminGraphql = (query: string, variables?: Record<string, unknown>) => Promise<{ data?: unknown; errors?: unknown }>;

const LIST = `query LockstepWebhookSubscriptions($topics: [WebhookSubscriptionTopic!]) {
  webhookSubscriptions(first: 100, topics: $topics) { nodes { topic uri } }
}`;
const CREATE = `mutation LockstepSubscribe($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: { uri: $uri }) { webhookSubscription { id } userErrors { field message } }
}`;

/**
 * Subscribes the shop to `topics` at `uri` through the Admin API, skipping those it already has:
 * a re-install, or afterAuth running again at a later login, repairs what is missing and never
 * subscribes twice. Returns the topics it subscribed.
 */
export async function subscribeMissingWebhooks(graphql: AdminGraphql, topics: readonly string[], uri: string): Promise<string[]> {
  if (topics.length === 0) return [];
  const listed = (await graphql(LIST, { topics: topics.map(graphqlTopic) })) as { data?: { webhookSubscriptions?: { nodes: Array<{ topic: string; uri: string }> } }; errors?: unknown };
  const existing = listed.data?.webhookSubscriptions?.nodes;
  if (!existing) throw new LockstepError("webhook_subscription_failed", `Shopify did not list the webhook subscriptions: ${JSON.stringify(listed.errors ?? null)}`);
  const missing = topics.filter((topic) => !existing.some((subscription) => subscription.topic === graphqlTopic(topic) && subscription.uri === uri));
  for (const topic of missing) {
    const created = (await graphql(CREATE, { topic: graphqlTopic(topic), uri })) as { data?: { webhookSubscriptionCreate?: { userErrors: Array<{ message: string }> } }; errors?: unknown };
    const userErrors = created.data?.webhookSubscriptionCreate?.userErrors;
    if (!userErrors || userErrors.length > 0) {
      throw new LockstepError("webhook_subscription_failed", `Shopify refused the ${topic} subscription: ${JSON.stringify(userErrors ?? created.errors ?? null)}`);
    }
  }
  return missing;
}
