import { describe, expect, it } from "vitest";
import type { DomainEvent } from "../../app/events/domainEvents";
import { createSubscribers } from "../../app/webhooks/subscribers.server";

const level = (item: string, shopId = "shop-1"): DomainEvent => ({
  type: "InventoryLevelChanged",
  shopId,
  occurredAt: new Date("2026-12-03T12:00:00Z"),
  inventoryItemExternalId: item,
  locationExternalId: "gid://shopify/Location/1",
  available: 1,
});
const cancelled = (order: string): DomainEvent => ({ type: "OrderCancelled", shopId: "shop-1", occurredAt: new Date("2026-12-03T12:00:00Z"), orderExternalId: order, lineItems: [] });

describe("subscribers called for a batch of applied events", () => {
  it("calls a together-handler once with its type's events, in order, and one-event handlers event by event", async () => {
    const subscribers = createSubscribers();
    const calls: string[] = [];
    subscribers.onAppliedTogether("InventoryLevelChanged", (events) => void calls.push(`levels ${events.map((e) => e.inventoryItemExternalId).join(",")}`));
    subscribers.onApplied("OrderCancelled", (event) => void calls.push(`cancelled ${event.orderExternalId}`));
    const errors = await subscribers.callAll([level("a"), cancelled("o-1"), level("b"), cancelled("o-2"), level("c")]);
    expect(calls).toEqual(["cancelled o-1", "cancelled o-2", "levels a,b,c"]);
    expect(errors).toEqual([[], [], [], [], []]);
    expect(subscribers.has("InventoryLevelChanged")).toBe(true);
    expect(subscribers.has("InventoryItemChanged")).toBe(false);
  });

  it("a together-handler that throws is called again with each event alone: only the events it fails for are owed", async () => {
    const subscribers = createSubscribers();
    const seen: string[][] = [];
    subscribers.onAppliedTogether("InventoryLevelChanged", (events) => {
      seen.push(events.map((e) => e.inventoryItemExternalId));
      if (events.some((e) => e.inventoryItemExternalId === "bad")) throw new Error("cache unreachable for bad");
    });
    const errors = await subscribers.callAll([level("a"), level("bad"), level("c")]);
    expect(seen).toEqual([["a", "bad", "c"], ["a"], ["bad"], ["c"]]);
    expect(errors.map((list) => list.map(String))).toEqual([[], ["Error: cache unreachable for bad"], []]);
    // One event: the same answer through `call`.
    expect((await subscribers.call(level("bad"))).map(String)).toEqual(["Error: cache unreachable for bad"]);
  });

  it("unsubscribing a together-handler stops its calls and owes nothing more", async () => {
    const subscribers = createSubscribers();
    let calls = 0;
    const stop = subscribers.onAppliedTogether("InventoryLevelChanged", () => void (calls += 1));
    await subscribers.callAll([level("a")]);
    stop();
    await subscribers.callAll([level("b")]);
    expect(calls).toBe(1);
    expect(subscribers.has("InventoryLevelChanged")).toBe(false);
  });
});
