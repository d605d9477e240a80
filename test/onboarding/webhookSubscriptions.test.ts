import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminGraphql, subscribeMissingWebhooks } from "../../app/onboarding/webhookSubscriptions.server";
import { TOML_TOPICS, topicsTheTomlLacks } from "../../app/onboarding/webhookTopics";
import { type ShopifySimulator, startShopifySimulator } from "../../simulators/shopify/server";
import { ROOT } from "../helpers/process";

const SHOP = "hooks.myshopify.com";
const URI = "https://lockstep.example.com/webhooks/shopify";
let sim: ShopifySimulator;
beforeAll(async () => {
  sim = await startShopifySimulator({ shops: [{ domain: SHOP, accessToken: "shpat_hooks" }] });
});
afterAll(() => sim.close());

const graphql: AdminGraphql = async (query, variables) => {
  const response = await fetch(sim.endpointFor(SHOP), { method: "POST", headers: { "content-type": "application/json", "x-shopify-access-token": "shpat_hooks" }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: unknown; errors?: unknown };
};

describe("webhook topics the TOML does not declare", () => {
  it("TOML_TOPICS is what shopify.app.toml declares", () => {
    const toml = readFileSync(path.join(ROOT, "shopify.app.toml"), "utf8");
    const declared = [...toml.matchAll(/^\s*topics = \[([^\]]*)\]/gm)].flatMap((match) => [...match[1]!.matchAll(/"([^"]+)"/g)].map((topic) => topic[1]));
    expect(declared.sort()).toEqual([...TOML_TOPICS].sort());
    expect(topicsTheTomlLacks()).toEqual([]);
  });

  it("subscribes the missing ones through the Admin API once: running again (a re-install) adds nothing", async () => {
    const lacking = topicsTheTomlLacks(TOML_TOPICS.filter((topic) => topic !== "products/delete" && topic !== "locations/create"));
    expect(lacking).toEqual(["products/delete", "locations/create"]);
    expect(await subscribeMissingWebhooks(graphql, lacking, URI)).toEqual(lacking);
    expect(await subscribeMissingWebhooks(graphql, lacking, URI)).toEqual([]);
    expect(sim.shop(SHOP).webhookSubscriptions.map((subscription) => [subscription.topic, subscription.uri])).toEqual([
      ["PRODUCTS_DELETE", URI],
      ["LOCATIONS_CREATE", URI],
    ]);
  });

  it("fails with a clear error when Shopify refuses a subscription", async () => {
    await expect(subscribeMissingWebhooks(graphql, ["orders/paid"], "http://not-https.example.com/hooks")).rejects.toMatchObject({ code: "webhook_subscription_failed", message: expect.stringMatching(/orders\/paid.*Address is invalid/) });
  });

  it("fails with a clear error when Shopify does not list the subscriptions", async () => {
    const broken: AdminGraphql = async () => ({ errors: [{ message: "Throttled" }] });
    await expect(subscribeMissingWebhooks(broken, ["orders/paid"], URI)).rejects.toMatchObject({ code: "webhook_subscription_failed", message: expect.stringMatching(/Throttled/) });
  });
});
