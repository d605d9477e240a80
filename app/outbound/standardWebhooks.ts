import { Webhook } from "standardwebhooks";

/** Standard Webhooks headers over a body's exact bytes: the signature every Lockstep push carries. */
export function standardWebhookHeaders(secret: string, id: string, timestamp: Date, body: string): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, timestamp, body),
  };
}
