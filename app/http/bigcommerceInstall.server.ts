import type { AppContext } from "../context.server";
import { installBigCommerceStore } from "../platforms/bigcommerce/install.server";
import { sendJson } from "./respond.server";
import type { Router } from "./router.server";

/** `GET /auth/bigcommerce/callback`: BigCommerce's install (OAuth) callback. */
export function registerBigCommerceInstall(router: Router, context: AppContext): void {
  router.on("GET", "/auth/bigcommerce/callback", async ({ req, res, url }) => {
    const protocol = req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
    const shop = await installBigCommerceStore(
      { prisma: context.db.prisma, config: context.config },
      {
        code: url.searchParams.get("code") ?? "",
        scope: url.searchParams.get("scope") ?? "",
        context: url.searchParams.get("context") ?? "",
        redirectUri: `${protocol}://${req.headers.host ?? "localhost"}${url.pathname}`,
      },
    );
    sendJson(res, 200, { shop: { id: shop.id, domain: shop.domain, installState: shop.installState } });
  });
}
