import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createApiTokenChanges, forgetRememberedTokens, installShop, issueApiToken, rememberingApiTokens } from "../../app/shops/shops.server";
import { shareTokenChanges, startSharingTokenChanges } from "../../app/shops/tokenChanges.server";
import { useTestDatabase } from "../helpers/database";
import { until } from "../helpers/expectations";
import { REDIS_URL } from "../helpers/redis";

const db = useTestDatabase();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function sharer(channel: string, errors: unknown[] = []) {
  const forgotten: string[] = [];
  const sharing = shareTokenChanges({ url: REDIS_URL, channel, forgetHere: (shopId) => forgotten.push(shopId), onError: (error) => errors.push(error) });
  closers.push(sharing.close);
  return { ...sharing, forgotten };
}

describe("API token changes shared by processes through Redis", () => {
  it("reach every other process, not the one that made them", async () => {
    const channel = `lockstep-test-${randomUUID()}`;
    const a = sharer(channel);
    const b = sharer(channel);
    await Promise.all([a.ready, b.ready]);
    a.tell("shop-1");
    await until(() => b.forgotten.length === 1);
    // B's change reaches A after A's own went by (one channel, in order): A ignored its own.
    b.tell("shop-2");
    await until(() => a.forgotten.length === 1);
    expect(a.forgotten).toEqual(["shop-2"]);
    expect(b.forgotten).toEqual(["shop-1"]);
  });

  it("reports a message that is not a change, and forgets nothing for it", async () => {
    const channel = `lockstep-test-${randomUUID()}`;
    const errors: unknown[] = [];
    const listener = sharer(channel, errors);
    await listener.ready;
    const outsider = new Redis(REDIS_URL);
    try {
      await outsider.publish(channel, "not json");
      await outsider.publish(channel, JSON.stringify({ origin: "elsewhere" }));
    } finally {
      outsider.disconnect();
    }
    await until(() => errors.length === 2);
    expect(String(errors[0])).toContain("not one");
    expect(listener.forgotten).toEqual([]);
  });

  it("fail nothing while Redis is away: the change is reported and memory covers it", async () => {
    const errors: unknown[] = [];
    const away = shareTokenChanges({ url: "redis://127.0.0.1:1", channel: "nowhere", forgetHere: () => undefined, onError: (error) => errors.push(error) });
    expect(() => away.tell("shop-1")).not.toThrow();
    await until(() => errors.length > 0);
    await away.close();
  });

  it("stop a token another process replaced at once, where memory alone would keep it a minute", async () => {
    const prisma = db().prisma;
    const shop = await installShop(prisma, { platform: "bigcommerce", domain: `stores/tok${randomUUID().slice(0, 8)}` });
    const token = await issueApiToken(prisma, shop.id);
    const changes = createApiTokenChanges();
    const verify = rememberingApiTokens(prisma, { changes, memoryMs: 60_000, clock: { now: Date.now } });
    expect((await verify(`Bearer ${token}`)).id).toBe(shop.id);
    // Another process replaces it (the database changes, this process is not told yet): remembered.
    await prisma.shop.update({ where: { id: shop.id }, data: { apiTokenHash: "replaced-elsewhere" } });
    expect((await verify(`Bearer ${token}`)).id).toBe(shop.id);

    const errors: unknown[] = [];
    const stop = startSharingTokenChanges(changes, REDIS_URL, (error) => errors.push(error));
    closers.push(stop);
    const otherProcess = sharer("lockstep:api-token-changes");
    await otherProcess.ready;
    // What this process replaces goes out to the others...
    forgetRememberedTokens(changes, "a-shop-changed-here");
    await until(() => otherProcess.forgotten.includes("a-shop-changed-here"));
    // ...and what another process replaces comes in.
    otherProcess.tell(shop.id);
    await until(async () => (await verify(`Bearer ${token}`).then(() => "ok", (error: { code?: string }) => error.code)) === "invalid_token");
    expect(errors).toEqual([]);
  });
});
