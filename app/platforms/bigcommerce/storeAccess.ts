import { LockstepError } from "../../config/errors";
import { outboundDetails } from "../../outbound/errors";
import type { BigCommerceClient } from "./client.server";

/**
 * Whether BigCommerce now refuses the store's access token: an uninstall revokes it, so a refusal
 * confirms the merchant really removed the app. Asks for the store's information (`GET /v2/store`,
 * the cheapest call every token may make) through the store's throttled client. True on 401/403,
 * false when the token still works; 503 when BigCommerce cannot tell us now (it retries the callback).
 */
export async function storeTokenRefused(client: BigCommerceClient): Promise<boolean> {
  try {
    await client.request("GET", "/v2/store");
    return false;
  } catch (error) {
    const status = outboundDetails(error)?.httpStatus;
    if (status === 401 || status === 403) return true;
    if (error instanceof LockstepError && error.status === 503) throw error;
    throw new LockstepError("platform_unreachable", `BigCommerce could not confirm the uninstall: ${error instanceof Error ? error.message : String(error)}`);
  }
}
