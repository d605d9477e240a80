import { describe, expect, it } from "vitest";
import { DEMO_SHOP_DOMAIN } from "../../app/demo/seed.server";
import { findShopByDomain } from "../../app/shops/shops.server";
import { BROWSER_HEADERS, useDemoAdmin } from "../helpers/server";

// Workers stay off so a replayed row stays visible as pending instead of being processed again.
const { server, cookie } = useDemoAdmin();

async function deadLetter(topic: string, deliveryId: string): Promise<string> {
  const { db } = server().context;
  const shop = (await findShopByDomain(db.prisma, "shopify", DEMO_SHOP_DOMAIN))!;
  const [row] = await db.sql.query<{ id: string }>(
    `INSERT INTO webhook_inbox (platform, shop_id, topic, delivery_id, payload, state, attempts, last_error, received_at, dead_at)
     VALUES ('shopify', $1, $2, $3, '{"id":1}', 'dead', 8, 'location gid://shopify/Location/1 unknown', now(), now()) RETURNING id::text`,
    [shop.id, topic, deliveryId],
  );
  return row!.id;
}

async function replay(fields: Record<string, string>) {
  return fetch(`${server().url}/app/dead-letters`, {
    method: "POST",
    headers: { ...BROWSER_HEADERS, cookie: cookie(), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
}

async function state(id: string): Promise<string> {
  const [row] = await server().context.db.sql.query<{ state: string }>(`SELECT state::text FROM webhook_inbox WHERE id = $1`, [id]);
  return row!.state;
}

describe("the dead letters page", () => {
  it("lists dead letters with their error, filtered by topic", async () => {
    await deadLetter("orders/create", "dl-list-1");
    await deadLetter("products/update", "dl-list-2");
    const all = await (await fetch(`${server().url}/app/dead-letters`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } })).text();
    expect(all).toContain("dl-list-1");
    expect(all).toContain("dl-list-2");
    expect(all).toContain("location gid://shopify/Location/1 unknown");
    const filtered = await (await fetch(`${server().url}/app/dead-letters?topic=orders/create`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } })).text();
    expect(filtered).toContain("dl-list-1");
    expect(filtered).not.toContain("dl-list-2");
  });

  it("replays one event and records who asked and why", async () => {
    const id = await deadLetter("orders/create", "dl-replay-1");
    const response = await replay({ id, reason: "location created" });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("1 event(s) sent back for processing.");
    expect(await state(id)).toBe("pending");
    const [audit] = await server().context.db.sql.query<{ requested_by: string; reason: string }>(
      `SELECT requested_by, reason FROM webhook_replay WHERE $1::bigint = ANY(inbox_ids)`,
      [id],
    );
    expect(audit).toEqual({ requested_by: "standalone-admin", reason: "location created" });
  });

  it("replays every dead letter of a topic and leaves the others", async () => {
    const a = await deadLetter("refunds/create", "dl-topic-a");
    const b = await deadLetter("refunds/create", "dl-topic-b");
    const other = await deadLetter("locations/update", "dl-topic-other");
    await replay({ topic: "refunds/create" });
    expect([await state(a), await state(b), await state(other)]).toEqual(["pending", "pending", "dead"]);
  });

  it("shows the last replay's progress, followed as its events are applied", async () => {
    const a = await deadLetter("fulfillments/create", "dl-progress-a");
    await deadLetter("fulfillments/create", "dl-progress-b");
    await deadLetter("fulfillments/create", "dl-progress-c");
    await replay({ topic: "fulfillments/create" });
    const page = async () => (await fetch(`${server().url}/app/dead-letters`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } })).text();
    const before = await page();
    expect(before).toContain('data-progress="Last replay, asked by standalone-admin"');
    expect(before).toMatch(/0 \/ 3 events · started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · estimating/);
    await server().context.db.sql.query(`UPDATE webhook_inbox SET state = 'processed', processed_at = now() WHERE id = $1`, [a]);
    expect(await page()).toMatch(/1 \/ 3 events · started [^·]+ · about \d+ s left/);
    await server().context.db.sql.query(`UPDATE webhook_inbox SET state = 'processed', processed_at = now() WHERE delivery_id LIKE 'dl-progress-%'`);
    expect(await page()).toContain("3 / 3 events · done");
  });

  it("refuses an id beyond the column's range and control characters with a 400 shown to staff, and replays nothing", async () => {
    const id = await deadLetter("orders/create", "dead-range-1");
    const refused: Record<string, string>[] = [{ id: "99999999999999999999" }, { id: "9223372036854775808" }, { topic: "orders/\u0000create" }, { topic: "orders/create", reason: "because\u0000" }];
    for (const fields of refused) {
      const response = await replay(fields);
      expect(response.status, JSON.stringify(fields)).toBe(400);
      expect(await response.text()).toMatch(/not valid|control characters/);
    }
    expect(await state(id)).toBe("dead");
    const filtered = await fetch(`${server().url}/app/dead-letters?topic=orders%2F%00create`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } });
    expect(filtered.status).toBe(400);
  });

  it("refuses a malformed id and a visitor without the login", async () => {
    expect((await replay({ id: "1; DROP TABLE shop" })).status).toBe(400);
    const anonymous = await fetch(`${server().url}/app/dead-letters`, { method: "POST", headers: { ...BROWSER_HEADERS, "content-type": "application/x-www-form-urlencoded" }, body: "topic=", redirect: "manual" });
    expect(anonymous.status).toBe(302);
  });
});
