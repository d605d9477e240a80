import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { type ApiTokenChanges, forgetRememberedTokensHere } from "./shops.server";

/**
 * Tells every process sharing a Redis when a shop's API token changed (replaced on the settings
 * page, or the shop uninstalled), so none of them keeps honouring the old one from memory. Each
 * process publishes its own changes and drops its memory of the others'. Redis away: the memory
 * lasts its usual few seconds, nothing fails.
 */
export function shareTokenChanges(options: { url: string; channel?: string; onError?: (error: unknown) => void; forgetHere: (shopId: string) => void }): {
  /** Resolves once this process listens. */
  ready: Promise<void>;
  tell(shopId: string): void;
  close(): Promise<void>;
} {
  const channel = options.channel ?? "lockstep:api-token-changes";
  const onError = options.onError ?? (() => undefined);
  const forgetHere = options.forgetHere;
  const origin = randomUUID();
  const publisher = new Redis(options.url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  const subscriber = new Redis(options.url, { lazyConnect: false });
  publisher.on("error", onError);
  subscriber.on("error", onError);
  const ready = subscriber.subscribe(channel).then(() => undefined, onError);
  subscriber.on("message", (from: string, message: string) => {
    if (from !== channel) return;
    const parsed = parseChange(message);
    if (!parsed) {
      onError(new Error(`an API token change that is not one: ${message.slice(0, 100)}`));
      return;
    }
    if (parsed.origin !== origin) forgetHere(parsed.shopId);
  });
  return {
    ready,
    tell(shopId) {
      publisher.publish(channel, JSON.stringify({ origin, shopId })).catch(onError);
    },
    async close() {
      // Nothing to flush (a change not sent is covered by the others' short memory), and a Redis
      // that is away must not hold up a shutdown.
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

function parseChange(message: string): { origin: string; shopId: string } | undefined {
  try {
    const value = JSON.parse(message) as { origin?: unknown; shopId?: unknown };
    return typeof value.origin === "string" && typeof value.shopId === "string" ? { origin: value.origin, shopId: value.shopId } : undefined;
  } catch {
    return undefined;
  }
}

/** This process's part: its changes go out, the others' come in. Returns what stops it. */
export function startSharingTokenChanges(changes: ApiTokenChanges, url: string, onError: (error: unknown) => void): () => Promise<void> {
  const sharing = shareTokenChanges({ url, onError, forgetHere: () => forgetRememberedTokensHere(changes) });
  changes.tell = (shopId) => sharing.tell(shopId);
  return async () => {
    changes.tell = undefined;
    await sharing.close();
  };
}
