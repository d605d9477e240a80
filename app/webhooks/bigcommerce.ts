import { timingSafeEqual } from "node:crypto";
import { errors as joseErrors, type JWTPayload, jwtVerify } from "jose";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { LockstepError } from "../config/errors";
import { BIGCOMMERCE_SECRET_HEADER, storeWebhookSecret } from "../platforms/bigcommerce/hooks";
import { parseStoreHash } from "../shops/platformIdentity";
import { isJsonObject } from "./json";

/** BigCommerce's thin payload: what changed, never the new state. */
export interface BigCommerceDelivery {
  webhookId: string;
  scope: string;
  storeHash: string;
  storeId: string;
  hash: string;
  createdAt: Date;
  data: Record<string, unknown>;
}

type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === "" ? undefined : text.trim();
}

/** Standard Webhooks keys are base64; BigCommerce uses the app's client secret, base64-encoded. */
export function bigCommerceSigningKey(clientSecret: string): string {
  return Buffer.from(clientSecret, "utf8").toString("base64");
}

function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  // Hash-free length check leaks only the length, which is public (a fixed-size HMAC).
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Verifies a delivery the way BigCommerce signs it (Standard Webhooks, stale timestamps
 * rejected by the library) and the per-store secret header; 401 when either is wrong or
 * missing, 400 when the signed body is not a BigCommerce callback.
 */
export function verifyBigCommerceDelivery(rawBody: Buffer, headers: HeaderBag, clientSecret: string): BigCommerceDelivery {
  const signatureHeaders = {
    "webhook-id": header(headers, "webhook-id") ?? "",
    "webhook-timestamp": header(headers, "webhook-timestamp") ?? "",
    "webhook-signature": header(headers, "webhook-signature") ?? "",
  };
  let payload: unknown;
  try {
    // The library parses the body once the signature matched (an empty body comes back undefined).
    payload = new Webhook(bigCommerceSigningKey(clientSecret)).verify(rawBody.toString("utf8"), signatureHeaders);
  } catch (error) {
    if (error instanceof SyntaxError) throw new LockstepError("invalid_json", "The request body is not a JSON object");
    if (!(error instanceof WebhookVerificationError)) throw error;
    throw new LockstepError("invalid_signature", `The webhook signature is missing or wrong: ${error.message}`);
  }
  if (!isJsonObject(payload)) throw new LockstepError("invalid_json", "The request body is not a JSON object");
  const producer = typeof payload.producer === "string" ? payload.producer : "";
  const storeHash = parseStoreHash(producer);
  const data = payload.data;
  if (!storeHash || typeof payload.scope !== "string" || typeof payload.hash !== "string" || typeof data !== "object" || data === null) {
    throw new LockstepError("invalid_payload", "Expected a BigCommerce callback with producer, scope, hash and data");
  }
  const secret = header(headers, BIGCOMMERCE_SECRET_HEADER);
  if (!secret || !constantTimeEquals(secret, storeWebhookSecret(clientSecret, storeHash))) {
    throw new LockstepError("invalid_signature", `The ${BIGCOMMERCE_SECRET_HEADER} header is missing or wrong`);
  }
  const createdAt = typeof payload.created_at === "number" ? new Date(payload.created_at * 1000) : new Date(Number(signatureHeaders["webhook-timestamp"]) * 1000);
  return {
    webhookId: signatureHeaders["webhook-id"],
    scope: payload.scope,
    storeHash,
    storeId: String(payload.store_id ?? ""),
    hash: payload.hash,
    createdAt,
    data: data as Record<string, unknown>,
  };
}

/** The claims of a BigCommerce `signed_payload_jwt` (app load / uninstall / remove user callbacks). */
export interface BigCommerceAppClaims {
  storeHash: string;
  userId?: string;
  issuedAt: Date;
  /** The token's id: a token is good for one callback only (see app/webhooks/callbackTokens.server.ts). */
  jti: string;
  expiresAt: Date;
}

// BigCommerce's callback tokens live a day (`exp` = `iat` + 86,400 s); a longer-lived one is not theirs.
const MAX_TOKEN_SECONDS = 86_400;
// Clock skew allowed between BigCommerce and us.
const LEEWAY_SECONDS = 60;

/**
 * Verifies an HS256 `signed_payload_jwt` signed with the client secret (jose): only HS256, for this
 * app (`aud` = client id), `exp`, `iat`, `jti` and `sub` required, not expired, not issued in the
 * future, not valid for longer than BigCommerce issues them. 401 otherwise.
 */
export async function verifySignedPayloadJwt(jwt: string | undefined, clientSecret: string, clientId: string | undefined, now: Date): Promise<BigCommerceAppClaims> {
  const invalid = (why: string) => new LockstepError("invalid_signature", `signed_payload_jwt is not valid: ${why}`);
  if (!jwt) throw invalid("missing");
  if (!clientId) throw invalid("no BigCommerce app is configured");
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(jwt, new TextEncoder().encode(clientSecret), {
      algorithms: ["HS256"],
      audience: clientId,
      requiredClaims: ["exp", "iat", "jti", "sub"],
      clockTolerance: LEEWAY_SECONDS,
      maxTokenAge: MAX_TOKEN_SECONDS + LEEWAY_SECONDS,
      currentDate: now,
    }));
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) throw invalid(error.message);
    throw error;
  }
  const seconds = now.getTime() / 1000;
  const { iat, exp, jti } = claims as { iat: number; exp: number; jti: unknown };
  if (iat - LEEWAY_SECONDS > seconds) throw invalid("issued in the future");
  if (exp - iat > MAX_TOKEN_SECONDS + LEEWAY_SECONDS) throw invalid("valid for longer than BigCommerce issues tokens");
  if (typeof jti !== "string" || jti.length === 0 || jti.length > 128) throw invalid("jti must be a short string");
  const storeHash = typeof claims.sub === "string" ? parseStoreHash(claims.sub) : undefined;
  if (!storeHash) throw invalid("no store in sub");
  const user = (claims as { user?: { id?: unknown } }).user;
  return {
    storeHash,
    userId: user?.id === undefined ? undefined : String(user.id),
    issuedAt: new Date(iat * 1000),
    jti,
    expiresAt: new Date(exp * 1000),
  };
}
