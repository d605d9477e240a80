import { afterEach, describe, expect, it, vi } from "vitest";
import type { Database } from "../../app/db/database.server";
import { createProcessInbox, NOTIFY_SPACING_MS } from "../../app/webhooks/inbox.server";
import { WebhookMetrics } from "../../app/webhooks/metrics.server";

/** A PostgreSQL stand-in that stores every delivery and records each NOTIFY. */
function fakePostgres() {
  let flushes = 0;
  let notifies = 0;
  const query = async (text: string, params?: unknown[]) => {
    if (text.includes("pg_notify")) {
      notifies += 1;
      return [];
    }
    flushes += 1;
    const input = JSON.parse(params![0] as string) as Array<{ ord: number }>;
    return input.map(({ ord }) => ({ ord, shop_id: "1", install_state: "installed", inbox_id: String(flushes * 1000 + ord) }));
  };
  const db = { kind: "postgres", sql: { query } } as unknown as Database;
  return { db, flushes: () => flushes, notifies: () => notifies };
}

const config = { webhooks: { queueLimit: 100, queueLimitBytes: 1 << 20 } } as Parameters<typeof createProcessInbox>[0]["config"];

function delivery(n: number) {
  return { platform: "shopify" as const, shopDomain: "a.myshopify.com", topic: "inventory_levels/update", deliveryId: `d-${n}`, payload: "{}", receivedAt: new Date() };
}

describe("waking worker processes on PostgreSQL", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends one NOTIFY per spacing however many flushes stored something, and always one after the last", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const fake = fakePostgres();
    const inbox = createProcessInbox({ db: fake.db, config, metrics: new WebhookMetrics() });

    for (let n = 0; n < 20; n += 1) await inbox.store(delivery(n));
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.flushes()).toBe(20);
    // The first flush notified at once; the 19 after it, within the same spacing, fold into one more.
    expect(fake.notifies()).toBe(1);

    await vi.advanceTimersByTimeAsync(NOTIFY_SPACING_MS);
    expect(fake.notifies()).toBe(2);

    // Nothing stored since: no more NOTIFYs, however long it waits.
    await vi.advanceTimersByTimeAsync(NOTIFY_SPACING_MS * 10);
    expect(fake.notifies()).toBe(2);

    // A flush after a quiet spell notifies at once.
    await inbox.store(delivery(99));
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.notifies()).toBe(3);
  });
});
