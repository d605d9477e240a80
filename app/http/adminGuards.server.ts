import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config/config.server";

// What every request to the Remix admin passes before Remix sees it: a body-size cap, a refusal of
// writes from other sites, and the Content-Security-Policy of its answer.

/** The standalone admin is never framed; Shopify's admin frames the embedded one, BigCommerce's control panel its own. */
const SHOPIFY_ADMIN = "https://admin.shopify.com";
const BIGCOMMERCE_CONTROL_PANEL = "https://*.mybigcommerce.com https://*.bigcommerce.com";
const SHOPIFY_CDN = "https://cdn.shopify.com";

/**
 * The CSP of an admin answer. Who may frame it depends on how staff reached it: through BigCommerce's
 * control panel (its staff cookie), inside Shopify's admin (embedded mode, the shop's own admin too),
 * or the standalone login (nobody). App Bridge and Polaris come from Shopify's CDN; Remix and Polaris
 * put inline scripts and styles in the page.
 */
export function adminContentSecurityPolicy(config: Pick<Config, "mode">, req: IncomingMessage, url: URL): string {
  const bigCommerceStaff = /(?:^|;\s*)lockstep_bigcommerce_staff=/.test(req.headers.cookie ?? "");
  const shop = url.searchParams.get("shop");
  const ancestors = bigCommerceStaff
    ? BIGCOMMERCE_CONTROL_PANEL
    : config.mode === "embedded"
      ? `${SHOPIFY_ADMIN} ${shop && /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(shop) ? `https://${shop}` : "https://*.myshopify.com"}`
      : "'none'";
  // Shopify's OAuth (embedded mode) is reached by a form post that redirects to the shop.
  const formTargets = config.mode === "embedded" ? `'self' ${SHOPIFY_ADMIN} https://*.myshopify.com` : "'self'";
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline' ${SHOPIFY_CDN}`,
    `style-src 'self' 'unsafe-inline' ${SHOPIFY_CDN}`,
    `img-src 'self' data: ${SHOPIFY_CDN}`,
    `font-src 'self' data: ${SHOPIFY_CDN}`,
    `connect-src 'self' ${SHOPIFY_ADMIN} ${SHOPIFY_CDN}`,
    "object-src 'none'",
    "base-uri 'self'",
    `form-action ${formTargets}`,
    `frame-ancestors ${ancestors}`,
  ].join("; ");
}

/**
 * A write to the admin from another site (a form or `fetch` to a page or to a single-fetch `.data`
 * route): refused whatever cookie it carries. Browsers say where a request comes from in
 * `Sec-Fetch-Site`, older ones only in `Origin`; a request with neither is not from a browser page.
 */
export function isCrossSiteWrite(req: IncomingMessage, ownOrigin: string): boolean {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return false;
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return true;
  const origin = req.headers.origin;
  return origin !== undefined && origin !== ownOrigin;
}

/** A refusal the staff member can read: an HTML page for a browser's form, JSON for everything else. */
export function sendAdminRefusal(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  const wantsPage = (req.headers.accept ?? "").includes("text/html") && !new URL(req.url ?? "/", "http://localhost").pathname.endsWith(".data");
  const body = wantsPage
    ? `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lockstep</title></head><body><h1>${status}</h1><p>${escapeHtml(message)}</p><p><a href="/app">Back to Lockstep</a></p></body></html>`
    : JSON.stringify({ error: { code, message } });
  // The rest of a refused body is not read: the connection closes with the answer.
  res.writeHead(status, {
    "content-type": wantsPage ? "text/html; charset=utf-8" : "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    connection: "close",
  });
  res.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
