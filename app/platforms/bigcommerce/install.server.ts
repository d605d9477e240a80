import { LockstepError } from "../../config/errors";
import type { Config } from "../../config/config.server";
import type { PrismaClient, Shop } from "../../generated/prisma/client";
import { sealCredential } from "../../shops/credentials.server";
import { bigCommerceShopDomain, parseStoreHash } from "../../shops/platformIdentity";
import { installShop } from "../../shops/shops.server";

export interface BigCommerceInstallRequest {
  code: string;
  scope: string;
  /** `stores/{store_hash}` */
  context: string;
  /** The callback URL registered for the app: BigCommerce checks it again in the exchange. */
  redirectUri: string;
}

/**
 * The install callback of a BigCommerce app: the one-time code is exchanged for the store's
 * access token (kept sealed on the shop), and the store becomes an installed shop.
 */
export async function installBigCommerceStore(
  deps: { prisma: PrismaClient; config: Pick<Config, "bigCommerce" | "encryptionKey">; fetch?: typeof fetch },
  request: BigCommerceInstallRequest,
): Promise<{ shop: Shop; accessToken: string }> {
  const { clientId, clientSecret, loginBaseUrl } = deps.config.bigCommerce;
  if (!clientId) throw new LockstepError("bigcommerce_not_configured", "BIGCOMMERCE_CLIENT_ID is not set: this Lockstep serves no BigCommerce app");
  const storeHash = parseStoreHash(request.context);
  // Exactly `stores/<hash>` as BigCommerce sends it (lower case): the token exchange repeats it.
  if (!storeHash || bigCommerceShopDomain(storeHash) !== request.context) throw new LockstepError("invalid_context", "context must be stores/<store_hash>");
  if (!request.code || !request.scope) throw new LockstepError("missing_parameter", "code and scope are required");
  let response: Response;
  try {
    response = await (deps.fetch ?? fetch)(`${loginBaseUrl}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        client_id: clientId,
        client_secret: clientSecret,
        code: request.code,
        scope: request.scope,
        grant_type: "authorization_code",
        redirect_uri: request.redirectUri,
        context: request.context,
      }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new LockstepError("oauth_exchange_failed", `BigCommerce could not be reached to finish the install: ${error instanceof Error ? error.message : String(error)}`);
  }
  const body = (await response.json().catch(() => ({}))) as { access_token?: string; scope?: string; context?: string; error?: string };
  if (!response.ok || !body.access_token) {
    throw new LockstepError("oauth_exchange_failed", `BigCommerce refused the install code (${response.status}${body.error ? `: ${body.error}` : ""})`);
  }
  if (body.context && body.context !== request.context) throw new LockstepError("oauth_exchange_failed", "BigCommerce answered for another store");
  const shop = await installShop(deps.prisma, { platform: "bigcommerce", domain: request.context, scopes: body.scope ?? request.scope });
  const installed = await deps.prisma.shop.update({ where: { id: shop.id }, data: { accessTokenSealed: sealCredential(deps.config.encryptionKey, body.access_token) } });
  return { shop: installed, accessToken: body.access_token };
}
