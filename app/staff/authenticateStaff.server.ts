import { redirect } from "@remix-run/node";
import { appContext } from "../context.server";
import type { Shop } from "../generated/prisma/client";
import { shopify } from "../shopify.server";
import { findShopByDomain, installShop } from "../shops/shops.server";
import { DEMO_SHOP_DOMAIN } from "../demo/seed.server";
import { isLoggedIn } from "./localLogin.server";

export interface Staff {
  mode: "embedded" | "standalone";
  shop: Shop;
  /** The Shopify API key App Bridge needs (embedded mode). */
  apiKey?: string;
  /** Who is acting, for the audit log: the Shopify staff user, or the standalone admin. */
  actor: string;
}

/**
 * Who is looking at the admin, and for which shop. Embedded: Shopify's session token (a request
 * without one is sent to auth, or answered 401 with the retry header, by Shopify's library).
 * Standalone: the local login cookie, for the demo shop.
 */
export async function authenticateStaff(request: Request): Promise<Staff> {
  const { config, db } = appContext();
  if (config.mode === "embedded") {
    const { session, sessionToken } = await shopify().authenticate.admin(request);
    const shop =
      (await findShopByDomain(db.prisma, "shopify", session.shop)) ??
      (await installShop(db.prisma, { platform: "shopify", domain: session.shop, scopes: session.scope }));
    const user = session.onlineAccessInfo?.associated_user;
    const actor = user?.email ? `shopify:${user.email}` : `shopify-user:${sessionToken?.sub ?? "unknown"}@${session.shop}`;
    return { mode: "embedded", shop, apiKey: config.shopifyApp!.apiKey, actor };
  }
  if (!(await isLoggedIn(config, request))) {
    const url = new URL(request.url);
    throw redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  }
  const shop =
    (await findShopByDomain(db.prisma, "shopify", DEMO_SHOP_DOMAIN)) ??
    (await db.prisma.shop.findFirst({ where: { installState: "installed" }, orderBy: { createdAt: "asc" } }));
  if (!shop) throw new Response("No shop is installed yet: start the demo (npm run demo) to get one", { status: 404 });
  return { mode: "standalone", shop, actor: "standalone-admin" };
}
