import { type AppLoadContext, redirect } from "@remix-run/node";
import type { Shop } from "../generated/prisma/client";
import { authenticateEmbeddedAdmin } from "../shopify.server";
import { findShopByDomain, installShop } from "../shops/shops.server";
import { DEMO_SHOP_DOMAIN } from "../demo/seed.server";
import { bigCommerceStaffOf } from "./bigCommerceStaff.server";
import { isLoggedIn } from "./localLogin.server";

export interface Staff {
  /** How they reached the admin: inside Shopify, from BigCommerce's control panel, or the local login. */
  mode: "embedded" | "bigcommerce" | "standalone";
  shop: Shop;
  /** The Shopify API key App Bridge needs (embedded mode). */
  apiKey?: string;
  /** Who is acting, for the audit log: the Shopify staff user, or the standalone admin. */
  actor: string;
}

/**
 * Who is looking at the admin, and for which shop. BigCommerce: the cookie the store's `load`
 * callback gave (checked first: one deployment serves both platforms). Embedded: Shopify's session
 * token (a request without one is sent to auth, or answered 401 with the retry header, by Shopify's
 * library). Standalone: the local login cookie, for the demo shop. Writes from other sites never get
 * here: app/http/adminGuards.server.ts refuses them (the BigCommerce cookie is `SameSite=None`).
 */
export async function authenticateStaff(request: Request, context: AppLoadContext): Promise<Staff> {
  const { config, db } = context;
  const bigCommerce = await bigCommerceStaffOf(config, request.headers.get("cookie"));
  if (bigCommerce) {
    const shop = await db.prisma.shop.findUnique({ where: { id: bigCommerce.shopId } });
    if (!shop || shop.platform !== "bigcommerce" || shop.installState !== "installed") {
      throw new Response("This store no longer has Lockstep installed: install it again from the BigCommerce control panel", { status: 403 });
    }
    return { mode: "bigcommerce", shop, actor: `bigcommerce-user:${bigCommerce.userId}@${shop.domain}` };
  }
  if (config.mode === "embedded") {
    const { session, sessionToken } = await authenticateEmbeddedAdmin(request, context);
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
