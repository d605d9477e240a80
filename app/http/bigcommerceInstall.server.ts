import { startBackfill } from "../backfill/backfill.server";
import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import { registerStoreHooks } from "../platforms/bigcommerce/hooks";
import { installBigCommerceStore } from "../platforms/bigcommerce/install.server";
import { storeHashOf } from "../shops/platformIdentity";
import { sendJson } from "./respond.server";
import type { Router } from "./router.server";

/** `GET /auth/bigcommerce/callback`: BigCommerce's install (OAuth) callback. */
export function registerBigCommerceInstall(router: Router, context: AppContext): void {
  router.on("GET", "/auth/bigcommerce/callback", async ({ req, res, url }) => {
    const protocol = req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
    const origin = `${protocol}://${req.headers.host ?? "localhost"}`;
    const { shop, accessToken } = await installBigCommerceStore(
      { prisma: context.db.prisma, config: context.config },
      {
        code: url.searchParams.get("code") ?? "",
        scope: url.searchParams.get("scope") ?? "",
        context: url.searchParams.get("context") ?? "",
        redirectUri: `${origin}${url.pathname}`,
      },
    );
    // The store's webhooks come to this deployment, each with the per-store secret header.
    const storeHash = storeHashOf(shop);
    let hooks: Awaited<ReturnType<typeof registerStoreHooks>>;
    try {
      hooks = await registerStoreHooks(context.platforms.bigCommerceClientFor(storeHash, accessToken), {
        clientSecret: context.config.bigCommerce.clientSecret,
        destination: `${origin}/webhooks/bigcommerce`,
      });
    } catch (error) {
      // The store is installed but would send nothing: say so, a second install repairs it.
      throw new LockstepError("hooks_not_registered", `Installed, but BigCommerce refused the webhook subscriptions: ${error instanceof Error ? error.message : String(error)}`);
    }
    // The store's catalog and stock are read once now; a re-install while one runs leaves that one going.
    let backfill: "started" | "running" = "started";
    await startBackfill(context, shop.id).catch((error: unknown) => {
      if (!(error instanceof LockstepError && error.code === "backfill_running")) throw error;
      backfill = "running";
    });
    sendJson(res, 200, { shop: { id: shop.id, domain: shop.domain, installState: shop.installState }, hooks, backfill });
  });
}
