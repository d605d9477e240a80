import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import { bigCommerceTokenOf } from "../shops/platformAccess.server";
import { storeTokenRefused } from "../platforms/bigcommerce/storeAccess";
import { type BigCommerceAppClaims, verifySignedPayloadJwt } from "../webhooks/bigcommerce";
import { claimCallbackToken } from "../webhooks/sql/claimCallbackToken";
import { releaseCallbackToken } from "../webhooks/sql/releaseCallbackToken";

// BigCommerce's `load`, `uninstall` and `remove_user` callbacks carry the same kind of token, and
// nothing in its claims (`sub`, `user`, `url`, …) says which callback it was issued for. So a token
// is good for one callback only (its `jti` is remembered in the database until it expires, shared by
// every process), and an uninstall is believed only once BigCommerce refuses the store's token.

/** Verifies a callback's `signed_payload_jwt` and uses it up: 401 when it is invalid or was used before. */
export async function useCallbackToken(context: AppContext, jwt: string | undefined, now: Date): Promise<BigCommerceAppClaims> {
  const { clientSecret, clientId } = context.config.bigCommerce;
  const claims = await verifySignedPayloadJwt(jwt, clientSecret, clientId, now);
  if (!(await claimCallbackToken(context.db.sql, claims.jti, claims.expiresAt))) {
    throw new LockstepError("token_already_used", "signed_payload_jwt was already used: BigCommerce issues a new one for every callback");
  }
  return claims;
}

/**
 * An uninstall callback's token, used up only once BigCommerce confirms that the store's access
 * token is refused. 409 when the token still works (the app is still installed: nothing is deleted);
 * 503 when BigCommerce cannot be asked now, and then the token stays usable for its retry.
 */
export async function useUninstallToken(context: AppContext, jwt: string | undefined, now: Date): Promise<BigCommerceAppClaims> {
  const claims = await useCallbackToken(context, jwt, now);
  try {
    await confirmUninstalled(context, claims.storeHash);
  } catch (error) {
    if (error instanceof LockstepError && error.status === 503) await releaseCallbackToken(context.db.sql, claims.jti);
    throw error;
  }
  return claims;
}

async function confirmUninstalled(context: AppContext, storeHash: string): Promise<void> {
  let accessToken: string;
  try {
    accessToken = await bigCommerceTokenOf({ prisma: context.db.prisma, config: context.config })(storeHash);
  } catch (error) {
    if (!(error instanceof LockstepError && error.code === "no_access_token")) throw error;
    // Without a token there is nothing to ask BigCommerce with, so nothing proves the uninstall.
    throw new LockstepError("uninstall_unconfirmed", `Lockstep holds no access token for store ${storeHash}, so it cannot confirm the uninstall`);
  }
  if (!(await storeTokenRefused(context.platforms.bigCommerceClientFor(storeHash, accessToken)))) {
    throw new LockstepError("uninstall_unconfirmed", "BigCommerce still accepts this store's access token: the app is installed, nothing was removed");
  }
}
