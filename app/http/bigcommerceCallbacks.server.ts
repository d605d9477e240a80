import type { AppContext } from "../context.server";
import { storeToLoad, uninstallDelivery } from "../onboarding/bigcommerceCallbacks.server";
import { bigCommerceStaffCookie } from "../staff/bigCommerceStaff.server";
import { useCallbackToken, useUninstallToken } from "./bigcommerceCallbackTokens.server";
import { answerStored, deliveryRoute } from "./platformWebhooks.server";
import type { Router } from "./router.server";

/**
 * BigCommerce's app callbacks (the install callback is bigcommerceInstall.server.ts): it opens the app
 * with `load` (inside its control panel), calls `uninstall` when the merchant removes it and
 * `remove_user` when a staff user goes.
 */
export function registerBigCommerceCallbacks(router: Router, context: AppContext): void {
  router.on("GET", "/auth/bigcommerce/load", async ({ res, url }) => {
    const claims = await useCallbackToken(context, url.searchParams.get("signed_payload_jwt") ?? undefined, new Date());
    const { shopId, userId } = await storeToLoad(context.db.sql, claims);
    // The staff member gets the admin for this store (see app/staff/bigCommerceStaff.server.ts).
    const cookie = await bigCommerceStaffCookie(context.config, { shopId, userId });
    res.writeHead(302, { location: "/app", "set-cookie": cookie, "cache-control": "no-store" }).end();
  });
  router.on("GET", "/auth/bigcommerce/uninstall", deliveryRoute(async (req) => {
    const receivedAt = new Date();
    const url = new URL(req.url ?? "/", "http://localhost");
    // Believed only once BigCommerce refuses the store's token (see bigcommerceCallbackTokens.server.ts).
    const claims = await useUninstallToken(context, url.searchParams.get("signed_payload_jwt") ?? undefined, receivedAt);
    // Through the inbox like any webhook: durable, processed by the workers.
    return answerStored(await context.webhooks.inbox.store(uninstallDelivery(claims, receivedAt)));
  }));
  // A staff user removed from the store: Lockstep keeps nothing per user beyond their 8-hour cookie.
  router.on("GET", "/auth/bigcommerce/remove_user", deliveryRoute(async (req) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    await useCallbackToken(context, url.searchParams.get("signed_payload_jwt") ?? undefined, new Date());
    return { status: 200, body: { ok: true } };
  }));
}
