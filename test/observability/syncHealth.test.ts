import { describe, expect, it } from "vitest";
import { getSyncHealth } from "../../app/observability/syncHealth.server";
import { WebhookMetrics } from "../../app/webhooks/metrics";
import { createTestDatabase, useTestDatabase } from "../helpers/database";

const db = useTestDatabase();

describe("getSyncHealth", () => {
  it("is healthy with an empty inbox and fast answers", async () => {
    const metrics = new WebhookMetrics();
    metrics.received();
    metrics.stored(3);
    const health = await getSyncHealth(db().sql, metrics.snapshot());
    expect(health.status).toBe("healthy");
    expect(health.inbox).toEqual({ unprocessed: 0, oldestAgeSeconds: 0, deadLetters: 0 });
    expect(health.webhooks.answerLatency.count).toBe(1);
    expect(health.webhooks.answerLatency.p50).toBeLessThanOrEqual(5);
  });

  it("is degraded when answers are slow, and says why", async () => {
    const metrics = new WebhookMetrics();
    for (let i = 0; i < 10; i += 1) metrics.stored(4_000);
    const health = await getSyncHealth(db().sql, metrics.snapshot());
    expect(health.status).toBe("degraded");
    expect(health.reasons.join(" ")).toMatch(/Webhook answers are slow/);
  });

  it("is failing when the database does not answer", async () => {
    const closed = await createTestDatabase();
    await closed.close();
    const health = await getSyncHealth(closed.sql, new WebhookMetrics().snapshot());
    expect(health.status).toBe("failing");
    expect(health.inbox).toBeNull();
  });
});
