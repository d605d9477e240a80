import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The app the simulated Shopify knows: what its token endpoint checks client credentials and session tokens against. */
export interface SimulatedApp {
  apiKey: string;
  apiSecret: string;
  /** What the merchant granted (the `scope` of every token). */
  scopes: string;
}

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
export const OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token";
export const ONLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:online-access-token";

// Shopify's lifetimes: expiring offline tokens last an hour and their refresh token 90 days; online tokens a day.
const OFFLINE_EXPIRES_IN_S = 3_600;
const REFRESH_EXPIRES_IN_S = 90 * 86_400;
const ONLINE_EXPIRES_IN_S = 86_399;

interface IssuedToken {
  shop: string;
  /** Epoch ms; undefined: does not expire (a non-expiring offline token). */
  expiresAt?: number;
}

interface IssuedRefreshToken {
  shop: string;
  expiresAt: number;
}

/** What the token endpoint answers: status and JSON body, as Shopify sends them. */
export interface OAuthAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface OAuthStats {
  exchanges: number;
  refreshes: number;
  refused: number;
}

const oauthError = (status: number, error: string, description: string): OAuthAnswer => ({ status, body: { error, error_description: description } });

/**
 * Shopify's OAuth token endpoint (`POST /admin/oauth/access_token`) for one app: token exchange of
 * an App Bridge session token for an offline (optionally expiring, with a refresh token) or online
 * access token, and the refresh grant. Errors are OAuth's `{error, error_description}` bodies.
 */
export class SimulatedOAuth {
  private readonly accessTokens = new Map<string, IssuedToken>();
  private readonly refreshTokens = new Map<string, IssuedRefreshToken>();
  readonly stats: OAuthStats = { exchanges: 0, refreshes: 0, refused: 0 };

  constructor(
    private readonly app: SimulatedApp,
    private readonly now: () => number,
  ) {}

  /** True when `token` is a live access token of `shop` issued here. */
  accepts(shop: string, token: string): boolean {
    const issued = this.accessTokens.get(token);
    return issued !== undefined && issued.shop === shop && (issued.expiresAt === undefined || issued.expiresAt > this.now());
  }

  /** The merchant uninstalled the app: every token of the shop stops working at once. */
  revokeShop(shop: string): void {
    for (const [token, issued] of this.accessTokens) if (issued.shop === shop) this.accessTokens.delete(token);
    for (const [token, issued] of this.refreshTokens) if (issued.shop === shop) this.refreshTokens.delete(token);
  }

  /** Answers one request to the token endpoint of `shop` (its host). `body` is the parsed JSON or form body. */
  answer(shop: string, body: Record<string, unknown>): OAuthAnswer {
    const result = this.grant(shop, body);
    if (result.status !== 200) this.stats.refused++;
    return result;
  }

  private grant(shop: string, body: Record<string, unknown>): OAuthAnswer {
    if (body.client_id !== this.app.apiKey || !sameSecret(String(body.client_secret ?? ""), this.app.apiSecret)) {
      return oauthError(401, "invalid_client", "Client authentication failed: unknown client_id or wrong client_secret.");
    }
    if (body.grant_type === TOKEN_EXCHANGE_GRANT) return this.exchange(shop, body);
    if (body.grant_type === "refresh_token") return this.refresh(shop, body);
    return oauthError(400, "unsupported_grant_type", `grant_type "${String(body.grant_type ?? "")}" is not supported.`);
  }

  private exchange(shop: string, body: Record<string, unknown>): OAuthAnswer {
    if (body.subject_token_type !== ID_TOKEN_TYPE) return oauthError(400, "invalid_request", `subject_token_type must be ${ID_TOKEN_TYPE}.`);
    const claims = this.verifySessionToken(String(body.subject_token ?? ""), shop);
    if (typeof claims === "string") return oauthError(400, "invalid_subject_token", claims);
    this.stats.exchanges++;
    if (body.requested_token_type === OFFLINE_TOKEN_TYPE) {
      return { status: 200, body: this.issueOffline(shop, body.expiring === "1" || body.expiring === 1 || body.expiring === true) };
    }
    if (body.requested_token_type === ONLINE_TOKEN_TYPE) {
      const token = this.issue(shop, ONLINE_EXPIRES_IN_S);
      const userId = Number(claims.sub);
      return {
        status: 200,
        body: {
          access_token: token,
          scope: this.app.scopes,
          expires_in: ONLINE_EXPIRES_IN_S,
          associated_user_scope: this.app.scopes,
          session: String(claims.sid ?? ""),
          associated_user: {
            id: userId,
            first_name: "Sim",
            last_name: `User ${userId}`,
            email: `user${userId}@${shop}`,
            account_owner: userId === 1,
            locale: "en",
            collaborator: false,
            email_verified: true,
          },
        },
      };
    }
    return oauthError(400, "invalid_request", `requested_token_type must be ${OFFLINE_TOKEN_TYPE} or ${ONLINE_TOKEN_TYPE}.`);
  }

  private refresh(shop: string, body: Record<string, unknown>): OAuthAnswer {
    const refreshToken = String(body.refresh_token ?? "");
    const issued = this.refreshTokens.get(refreshToken);
    if (!issued || issued.shop !== shop || issued.expiresAt <= this.now()) {
      return oauthError(400, "invalid_grant", "The refresh token is invalid, expired, or was already used.");
    }
    // Refresh tokens rotate: the one used is spent.
    this.refreshTokens.delete(refreshToken);
    this.stats.refreshes++;
    return { status: 200, body: this.issueOffline(shop, true) };
  }

  private issueOffline(shop: string, expiring: boolean): Record<string, unknown> {
    if (!expiring) return { access_token: this.issue(shop, undefined), scope: this.app.scopes };
    const refreshToken = `shprt_${randomBytes(16).toString("hex")}`;
    this.refreshTokens.set(refreshToken, { shop, expiresAt: this.now() + REFRESH_EXPIRES_IN_S * 1000 });
    return {
      access_token: this.issue(shop, OFFLINE_EXPIRES_IN_S),
      expires_in: OFFLINE_EXPIRES_IN_S,
      refresh_token: refreshToken,
      refresh_token_expires_in: REFRESH_EXPIRES_IN_S,
      scope: this.app.scopes,
    };
  }

  private issue(shop: string, expiresInS: number | undefined): string {
    const token = `shpat_${randomBytes(16).toString("hex")}`;
    this.accessTokens.set(token, { shop, ...(expiresInS !== undefined && { expiresAt: this.now() + expiresInS * 1000 }) });
    return token;
  }

  /** The claims of a valid session token for `shop`, or why it is not one. */
  private verifySessionToken(token: string, shop: string): Record<string, unknown> | string {
    const [header, payload, signature] = token.split(".");
    if (!header || !payload || !signature) return "The session token is not a JWT.";
    const expected = createHmac("sha256", this.app.apiSecret).update(`${header}.${payload}`).digest("base64url");
    if (!sameSecret(signature, expected)) return "The session token's signature does not verify with the app's secret.";
    let claims: Record<string, unknown>;
    try {
      const alg = (JSON.parse(Buffer.from(header, "base64url").toString()) as { alg?: string }).alg;
      if (alg !== "HS256") return "The session token is not signed with HS256.";
      claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    } catch {
      return "The session token is not a JWT.";
    }
    const nowS = this.now() / 1000;
    if (typeof claims.exp !== "number" || claims.exp <= nowS) return "The session token has expired.";
    if (typeof claims.nbf === "number" && claims.nbf > nowS + 5) return "The session token is not valid yet.";
    if (claims.aud !== this.app.apiKey) return "The session token was issued for another app.";
    if (claims.dest !== `https://${shop}`) return "The session token was issued for another shop.";
    return claims;
  }
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
