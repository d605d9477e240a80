import type { IncomingMessage } from "node:http";
import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import { readBody, sendError, sendJson } from "./respond.server";
import type { RouteRequest, Router } from "./router.server";
import { bigCommerceShopDomain } from "../shops/platformIdentity";
import { verifyBigCommerceDelivery } from "../webhooks/bigcommerce";
import type { Inbox } from "../webhooks/inbox.server";
import type { WebhookMetrics } from "../webhooks/metrics.server";
import { minimiseShopifyPayload } from "../webhooks/normalise/shopify";
import { verifyShopifyDelivery } from "../webhooks/shopify";
import type { Delivery, StoreOutcome } from "../webhooks/sql/storeDeliveries";

/** The answer to a platform for a stored (or refused) delivery. */
export function answerStored(outcome: StoreOutcome): { status: number; body: unknown } {
  switch (outcome.kind) {
    case "stored":
      return { status: 200, body: { ok: true } };
    case "duplicate":
      return { status: 200, body: { ok: true, duplicate: true } };
    case "unknown_shop":
      throw new LockstepError("unknown_shop", "This shop has not installed Lockstep");
    case "shop_uninstalled":
      throw new LockstepError("shop_uninstalled", "This shop has uninstalled Lockstep");
  }
}

function rejected(metrics: WebhookMetrics, error: unknown): never {
  metrics.rejectedWith(error instanceof LockstepError ? error.code : "internal_error");
  throw error;
}

/**
 * One delivery in: counted, its body read (within the limit), verified the platform's way (`verify`
 * gives what the inbox stores), then stored; a refusal is counted by its code and answered.
 */
async function receive(context: AppContext, inbox: Inbox, req: IncomingMessage, requestGone: AbortSignal, verify: (body: Buffer) => Omit<Delivery, "receivedAt">): Promise<{ status: number; body: unknown }> {
  const receivedAt = new Date();
  context.webhooks.metrics.received();
  try {
    const body = await readBody(req, context.config.webhooks.bodyLimitBytes);
    const outcome = await inbox.store({ ...verify(body), receivedAt }, requestGone);
    return answerStored(outcome);
  } catch (error) {
    return rejected(context.webhooks.metrics, error);
  }
}

function verifiedShopify(context: AppContext, req: IncomingMessage, body: Buffer): Omit<Delivery, "receivedAt"> {
  const secrets = [context.config.shopifyApiSecret, ...(context.config.shopifyPreviousApiSecret ? [context.config.shopifyPreviousApiSecret] : [])];
  const headers = verifyShopifyDelivery(body, req.headers, secrets);
  let payload: string;
  try {
    payload = minimiseShopifyPayload(headers.topic, body.toString("utf8"));
  } catch {
    throw new LockstepError("invalid_json", "The request body is not a JSON object");
  }
  return {
    platform: "shopify",
    shopDomain: headers.shopDomain,
    topic: headers.topic,
    deliveryId: headers.webhookId,
    eventId: headers.eventId,
    payload,
    apiVersion: headers.apiVersion,
    triggeredAt: headers.triggeredAt,
  };
}

function verifiedBigCommerce(context: AppContext, req: IncomingMessage, body: Buffer): Omit<Delivery, "receivedAt"> {
  const delivery = verifyBigCommerceDelivery(body, req.headers, context.config.bigCommerce.clientSecret);
  return {
    platform: "bigcommerce",
    shopDomain: bigCommerceShopDomain(delivery.storeHash),
    topic: delivery.scope,
    // webhook-id is the same across BigCommerce's retries of one message; `hash` is not an event id
    // (a SHA-1 of the thin `data`, equal for every update of one product): it stays in the payload.
    deliveryId: delivery.webhookId,
    payload: body.toString("utf8"),
    triggeredAt: delivery.createdAt,
  };
}

/**
 * A route that answers once its delivery is stored. The platform hangs up at its own timeout: a
 * delivery still waiting to be stored is dropped then (`requestGone`), and nothing is answered.
 */
export function deliveryRoute(handler: (req: IncomingMessage, requestGone: AbortSignal) => Promise<{ status: number; body: unknown }>) {
  return async ({ req, res }: RouteRequest) => {
    const gone = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    try {
      const { status, body } = await handler(req, gone.signal);
      sendJson(res, status, body);
    } catch (error) {
      if (!gone.signal.aborted) sendError(res, error);
    }
  };
}

/**
 * Platform webhooks (BigCommerce's app callbacks: bigcommerceCallbacks.server.ts). Each answers 200
 * only after the delivery is durably stored; processing happens later, in the workers.
 */
export function registerWebhookRoutes(router: Router, context: AppContext): void {
  const inbox = context.webhooks.inbox;
  router.on("POST", "/webhooks/shopify", deliveryRoute((req, requestGone) => receive(context, inbox, req, requestGone, (body) => verifiedShopify(context, req, body))));
  router.on("POST", "/webhooks/bigcommerce", deliveryRoute((req, requestGone) => receive(context, inbox, req, requestGone, (body) => verifiedBigCommerce(context, req, body))));

}
