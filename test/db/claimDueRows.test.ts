import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimDueRowsSql } from "../../app/db/claimDueRows";
import { claimInboxRows } from "../../app/webhooks/sql/claimInboxRows";
import { createTestDatabase, type TestDatabase } from "../helpers/database";

// The lease claim every queue shares takes the lowest ids among the rows still to do. By the
// primary key it stepped over every finished row first: with the inbox's 14 days of finished rows
// kept, each claim read them all (EXPLAIN ANALYZE, PostgreSQL: 200,000 rows removed by the filter
// to claim 50, 140 ms; with the partial index of rows still to do, 50 rows read, 1 ms).
let db: TestDatabase;
let shopId: string;
const FINISHED = 5_000;

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  "Rows Removed by Filter"?: number;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

beforeAll(async () => {
  db = await createTestDatabase();
  [{ id: shopId }] = (await db.sql.query<{ id: string }>(`INSERT INTO shop (id, platform, domain) VALUES (gen_random_uuid(), 'shopify', 'claims.myshopify.com') RETURNING id`)) as [{ id: string }];
  // A day of finished deliveries, then the ones still to do (higher ids, as arrivals get).
  await db.sql.query(
    `INSERT INTO webhook_inbox (platform, shop_id, topic, delivery_id, payload, state, received_at)
     SELECT 'shopify', $1, 'inventory_levels/update', 'd' || n, repeat('x', 600), CASE WHEN n <= $2 THEN 'processed'::"WebhookState" ELSE 'pending' END, now()
     FROM generate_series(1, $2 + 1000) n`,
    [shopId, FINISHED],
  );
  await db.sql.query(`ANALYZE webhook_inbox`);
}, 120_000);

afterAll(async () => {
  await db?.close();
});

describe("claiming due rows", () => {
  it("reads only rows still to do, not the finished ones before them", async () => {
    const text = claimDueRowsSql("webhook_inbox", { select: "i.id" });
    // EXPLAIN ANALYZE runs the claim: inside a transaction that is rolled back, so nothing stays claimed.
    let plan: PlanNode | undefined;
    const rollback = new Error("rollback");
    await db.sql
      .transaction(async (tx) => {
        const [row] = await tx.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, ["w-plan", 10, 60_000, 5]);
        plan = row!["QUERY PLAN"][0]!.Plan;
        throw rollback;
      })
      .catch((error: unknown) => {
        if (error !== rollback) throw error;
      });
    const scans = nodes(plan!).filter((node) => node["Relation Name"] === "webhook_inbox" && node["Actual Loops"] > 0 && /Scan/.test(node["Node Type"]));
    const picking = scans.find((node) => (node["Rows Removed by Filter"] ?? 0) > 0 || node["Actual Rows"] > 0);
    expect(picking, JSON.stringify(plan)).toBeDefined();
    for (const scan of scans) expect(scan["Rows Removed by Filter"] ?? 0, `${scan["Node Type"]} ${scan["Index Name"] ?? ""}`).toBeLessThan(100);
  });

  it("still claims the oldest due rows first, and a finished row never", async () => {
    const [first] = await db.sql.query<{ id: string }>(`SELECT min(id)::text AS id FROM webhook_inbox WHERE state = 'pending'`);
    const claimed = await claimInboxRows(db.sql, "w-order", 5, 60_000);
    expect(claimed.map((row) => row.id)).toEqual(Array.from({ length: 5 }, (_, i) => String(BigInt(first!.id) + BigInt(i))));
    const states = await db.sql.query<{ state: string }>(`SELECT state::text FROM webhook_inbox WHERE id = ANY($1::bigint[])`, [claimed.map((row) => row.id)]);
    expect(states.map((row) => row.state)).toEqual(Array.from({ length: 5 }, () => "processing"));
  });
});
