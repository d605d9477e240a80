import { bigCommerceStaffCookie } from "../staff/bigCommerceStaff.server";
import type { IncomingMessage } from "node:http";
import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import { readBody, sendError, sendJson } from "./respond.server";
import type { RouteRequest, Router } from "./router.server";
import { bigCommerceShopDomain } from "../shops/platformIdentity";
import { findShopByDomainSql } from "../shops/sql/findShop";
import { verifyBigCommerceDelivery } from "../webhooks/bigcommerce";
import { useCallbackToken, useUninstallToken } from "./bigcommerceCallbackTokens.server";
import type { Inbox } from "../webhooks/inbox.server";
import type { WebhookMetrics } from "../webhooks/metrics.server";
import { minimiseShopifyPayload } from "../webhooks/normalise/shopify";
import { verifyShopifyDelivery } from "../webhooks/shopify";
import type { StoreOutcome } from "../webhooks/sql/storeDeliveries";

function answer(outcome: StoreOutcome): { status: number; body: unknown } {
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

async function receiveShopify(context: AppContext, inbox: Inbox, req: IncomingMessage, requestGone: AbortSignal): Promise<{ status: number; body: unknown }> {
  const receivedAt = new Date();
  context.webhooks.metrics.received();
  try {
    const body = await readBody(req, context.config.webhooks.bodyLimitBytes);
    const secrets = [context.config.shopifyApiSecret, ...(context.config.shopifyPreviousApiSecret ? [context.config.shopifyPreviousApiSecret] : [])];
    const headers = verifyShopifyDelivery(body, req.headers, secrets);
    let payload: string;
    try {
      payload = minimiseShopifyPayload(headers.topic, body.toString("utf8"));
    } catch {
      throw new LockstepError("invalid_json", "The request body is not a JSON object");
    }
    const outcome = await inbox.store({
      platform: "shopify",
      shopDomain: headers.shopDomain,
      topic: headers.topic,
      deliveryId: headers.webhookId,
      eventId: headers.eventId,
      payload,
      apiVersion: headers.apiVersion,
      triggeredAt: headers.triggeredAt,
      receivedAt,
    }, requestGone);
    return answer(outcome);
  } catch (error) {
    return rejected(context.webhooks.metrics, error);
  }
}

async function receiveBigCommerce(context: AppContext, inbox: Inbox, req: IncomingMessage, requestGone: AbortSignal): Promise<{ status: number; body: unknown }> {
  const receivedAt = new Date();
  context.webhooks.metrics.received();
  try {
    const body = await readBody(req, context.config.webhooks.bodyLimitBytes);
    const delivery = verifyBigCommerceDelivery(body, req.headers, context.config.bigCommerce.clientSecret);
    const outcome = await inbox.store({
      platform: "bigcommerce",
      shopDomain: bigCommerceShopDomain(delivery.storeHash),
      topic: delivery.scope,
      // webhook-id is the same across BigCommerce's retries of one message; `hash` is not an event id
      // (a SHA-1 of the thin `data`, equal for every update of one product): it stays in the payload.
      deliveryId: delivery.webhookId,
      payload: body.toString("utf8"),
      triggeredAt: delivery.createdAt,
      receivedAt,
    }, requestGone);
    return answer(outcome);
  } catch (error) {
    return rejected(context.webhooks.metrics, error);
  }
}

/**
 * Platform webhooks and BigCommerce's app callbacks. Each answers 200 only after the delivery
 * is durably stored; processing happens later, in the workers.
 */
export function registerWebhookRoutes(router: Router, context: AppContext): void {
  const inbox = context.webhooks.inbox;
  const respond = (handler: (req: IncomingMessage, requestGone: AbortSignal) => Promise<{ status: number; body: unknown }>) =>
    async ({ req, res }: RouteRequest) => {
      // The platform hangs up at its own timeout: a delivery still waiting to be stored is dropped then.
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

  router.on("POST", "/webhooks/shopify", respond((req, requestGone) => receiveShopify(context, inbox, req, requestGone)));
  router.on("POST", "/webhooks/bigcommerce", respond((req, requestGone) => receiveBigCommerce(context, inbox, req, requestGone)));

  // BigCommerce opens the app with `load` (inside its control panel), and calls `uninstall` when the merchant removes it.
  router.on("GET", "/auth/bigcommerce/load", async ({ res, url }) => {
    const claims = await useCallbackToken(context, url.searchParams.get("signed_payload_jwt") ?? undefined, new Date());
    const shop = await findShopByDomainSql(context.db.sql, bigCommerceShopDomain(claims.storeHash), "bigcommerce");
    if (!shop?.installed) throw new LockstepError("unknown_shop", "This store has not installed Lockstep");
    // The staff member gets the admin for this store (see app/staff/bigCommerceStaff.server.ts).
    const cookie = await bigCommerceStaffCookie(context.config, { shopId: shop.id, userId: claims.userId ?? "unknown" });
    res.writeHead(302, { location: "/app", "set-cookie": cookie, "cache-control": "no-store" }).end();
  });
  router.on("GET", "/auth/bigcommerce/uninstall", respond(async (req) => {
    const receivedAt = new Date();
    const url = new URL(req.url ?? "/", "http://localhost");
    // Believed only once BigCommerce refuses the store's token (see bigcommerceCallbackTokens.server.ts).
    const claims = await useUninstallToken(context, url.searchParams.get("signed_payload_jwt") ?? undefined, receivedAt);
    // Through the inbox like any webhook: durable, processed by the workers.
    const outcome = await inbox.store({
      platform: "bigcommerce",
      shopDomain: bigCommerceShopDomain(claims.storeHash),
      topic: "store/app/uninstalled",
      deliveryId: `uninstall:${claims.jti}`,
      payload: JSON.stringify({ scope: "store/app/uninstalled", producer: bigCommerceShopDomain(claims.storeHash), created_at: Math.floor(claims.issuedAt.getTime() / 1000), data: {} }),
      triggeredAt: claims.issuedAt,
      receivedAt,
    });
    return answer(outcome);
  }));
  // A staff user removed from the store: Lockstep keeps nothing per user beyond their 8-hour cookie.
  router.on("GET", "/auth/bigcommerce/remove_user", respond(async (req) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    await useCallbackToken(context, url.searchParams.get("signed_payload_jwt") ?? undefined, new Date());
    return { status: 200, body: { ok: true } };
  }));
}
