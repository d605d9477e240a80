// BigCommerce deliveries as BigCommerce sends them: the thin callback payload, signed the
// Standard Webhooks way with the app's client secret (base64) as key, the per-store secret header
// Lockstep registers, BigCommerce's retry schedule, and signed_payload_jwt callbacks.
import { createHash, createHmac, randomUUID } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { BIGCOMMERCE_SECRET_HEADER, storeWebhookSecret } from "../../app/platforms/bigcommerce/hooks";
import { bigCommerceSigningKey } from "../../app/webhooks/bigcommerce";
import type { SignedDelivery } from "./shopify";

/** Seconds between BigCommerce's retries of a failed delivery. */
export const BIGCOMMERCE_RETRY_SCHEDULE_MS = [60, 180, 300, 600, 900, 1800, 3600, 7200, 21_600, 50_400, 86_400].map((s) => s * 1000);

export interface BigCommerceDeliveryInput {
  clientSecret: string;
  storeHash: string;
  scope: string;
  data: Record<string, unknown>;
  createdAt?: Date;
  /**
   * BigCommerce's `hash`: by default, as BigCommerce documents it, the SHA-1 of the JSON-encoded `data`,
   * so every update of one product carries the same one (it is no event id).
   */
  hash?: string;
  webhookId?: string;
  /** Sign at this time (stale timestamps are rejected). */
  signedAt?: Date;
  /** Override the per-store secret header (tests of a wrong or missing one). */
  storeSecret?: string | null;
}

export function signBigCommerceDelivery(input: BigCommerceDeliveryInput): SignedDelivery {
  const createdAt = Math.floor((input.createdAt ?? new Date()).getTime() / 1000);
  const payload = {
    created_at: createdAt,
    store_id: "1025646",
    producer: `stores/${input.storeHash}`,
    scope: input.scope,
    hash: input.hash ?? createHash("sha1").update(JSON.stringify(input.data)).digest("hex"),
    data: input.data,
  };
  const body = JSON.stringify(payload);
  const webhookId = input.webhookId ?? `msg_${randomUUID()}`;
  const signedAt = input.signedAt ?? new Date();
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "webhook-id": webhookId,
    "webhook-timestamp": String(Math.floor(signedAt.getTime() / 1000)),
    "webhook-signature": new Webhook(bigCommerceSigningKey(input.clientSecret)).sign(webhookId, signedAt, body),
  };
  const storeSecret = input.storeSecret === undefined ? storeWebhookSecret(input.clientSecret, input.storeHash) : input.storeSecret;
  if (storeSecret !== null) headers[BIGCOMMERCE_SECRET_HEADER] = storeSecret;
  return { body, headers };
}

/** A `signed_payload_jwt` as BigCommerce puts on load / uninstall callbacks (HS256, client secret). */
export function signedPayloadJwt(input: {
  clientSecret: string;
  clientId: string;
  storeHash: string;
  userId?: number;
  issuedAt?: Date;
  algorithm?: string;
  /** Claims to replace (`undefined` leaves one out): tests of tokens BigCommerce would not send. */
  claims?: Record<string, unknown>;
}): string {
  const iat = Math.floor((input.issuedAt ?? new Date()).getTime() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const head = encode({ typ: "JWT", alg: input.algorithm ?? "HS256" });
  const body = encode({
    aud: input.clientId,
    iss: "bc",
    iat,
    nbf: iat - 5,
    exp: iat + 86_400,
    jti: randomUUID(),
    sub: `stores/${input.storeHash}`,
    user: { id: input.userId ?? 9128, email: "owner@example.com" },
    owner: { id: 9128, email: "owner@example.com" },
    url: "/",
    channel_id: null,
    ...input.claims,
  });
  const signature = createHmac("sha256", input.clientSecret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${signature}`;
}
