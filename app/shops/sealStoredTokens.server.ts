import type { Config } from "../config/config.server";
import { ConfigError } from "../config/errors";
import type { SqlRunner } from "../db/database.server";
import { isSealedCredential } from "./credentials.server";
import { sealSessionToken } from "./sessionStorage.server";
import { countStoredCredentials } from "./sql/countStoredCredentials";
import { listSessionTokens } from "./sql/listSessionTokens";
import { replaceSessionTokens } from "./sql/replaceSessionTokens";

/**
 * Run at every start and by `npm run setup`, after the migrations: refuses a made-up encryption
 * key when the database holds credentials (they were sealed with another key, or are about to be
 * sealed with one nobody keeps), then seals the Shopify session tokens that earlier versions
 * stored in clear. A SQL migration cannot encrypt; this step can, and does nothing the second time
 * (sealed values are recognised by their prefix). Returns how many sessions it sealed.
 */
export async function sealStoredTokens(sql: SqlRunner, config: Pick<Config, "encryptionKey" | "generatedSecrets">): Promise<number> {
  if (config.generatedSecrets.includes("LOCKSTEP_ENCRYPTION_KEY")) {
    const stored = await countStoredCredentials(sql);
    if (stored > 0) {
      throw new ConfigError(
        `Invalid configuration: LOCKSTEP_ENCRYPTION_KEY missing: the database holds ${stored} store credential(s) sealed (or to be sealed) with it; set the key they were sealed with`,
      );
    }
    return 0;
  }
  let sealed = 0;
  for (const row of await listSessionTokens(sql)) {
    const inClear = (token: string | null) => token !== null && token !== "" && !isSealedCredential(token);
    if (!inClear(row.accessToken) && !inClear(row.refreshToken)) continue;
    const after = {
      accessToken: sealSessionToken(config.encryptionKey, row.accessToken),
      refreshToken: row.refreshToken === null ? null : sealSessionToken(config.encryptionKey, row.refreshToken),
    };
    if (await replaceSessionTokens(sql, row, after)) sealed += 1;
  }
  return sealed;
}
