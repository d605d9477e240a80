import { afterAll, beforeAll, expect, it } from "vitest";
import { adapterRegistry } from "../../app/batching/adapters";
import { listDestinations } from "../../app/batching/destinations.server";
import { runDueDestination } from "../../app/batching/runs.server";
import { listRuns } from "../../app/batching/sql/listRuns";
import { DEMO_ERP_DESTINATION, ensureDemoErpDestination } from "../../app/demo/erpDestination.server";
import { seedDemoShop } from "../../app/demo/seed.server";
import { erpHttpAdapter } from "../../app/destinations/erpHttp.server";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import type { DestinationSimulator } from "../../simulators/destination/endpoint";
import { startErpSimulator } from "../../simulators/erp";
import { createTestDatabase, type TestDatabase } from "../helpers/database";

const SECRET = "whsec_ZGVtby1lcnAtc2lnbmluZy1zZWNyZXQtZm9yLXRlc3Rz";
let db: TestDatabase;
let erp: DestinationSimulator;
const registry = createLimiterRegistry();
beforeAll(async () => {
  db = await createTestDatabase();
  erp = await startErpSimulator({ signingSecret: SECRET });
});
afterAll(async () => {
  await registry.close();
  await erp.close();
  await db.close();
});

it("makes the simulated ERP a live destination of the demo shop, run every minute with a signed manifest the ERP verifies", async () => {
  const { shop } = await seedDemoShop(db.prisma, { apiToken: "lst_demo_token_for_the_erp_destination_test" });
  // The seed writes the catalog directly (nothing captured): the new destination's first run is a full run.
  const id = await ensureDemoErpDestination(db, { shopId: shop.id, encryptionKey: "demo-key", erpUrl: erp.url, signingSecret: SECRET });
  // A restart points the same destination at the simulator's new port.
  expect(await ensureDemoErpDestination(db, { shopId: shop.id, encryptionKey: "demo-key", erpUrl: erp.url, signingSecret: SECRET })).toBe(id);
  const [destination] = await listDestinations(db.sql, shop.id);
  expect(destination).toMatchObject({ name: DEMO_ERP_DESTINATION, cadence: "* * * * *", mode: "live", receives: ["catalog", "price", "stock"] });

  const deps = { sql: db.sql, encryptionKey: "demo-key", adapters: adapterRegistry([erpHttpAdapter({ registry })]), owner: "demo", now: () => new Date() };
  const outcome = await runDueDestination(deps);
  expect(outcome).toMatchObject({ status: "succeeded", reason: "full", variance: 0 });
  expect(erp.manifests.at(-1)).toMatchObject({ verified: true, manifest: { runId: outcome!.runId } });
  const variants = (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM variant WHERE shop_id = $1`, [shop.id]))[0]!.n;
  expect(outcome!.signed!.manifest.counts).toMatchObject({ itemsAfterCoalescing: variants * 3, sent: variants * 3 });
  const [run] = await listRuns(db.sql, id, 1);
  expect(run).toMatchObject({ id: outcome!.runId, status: "succeeded", signature: outcome!.signed!.signature });
  // The next tick is a minute away at most.
  const [after] = await listDestinations(db.sql, shop.id);
  expect(after!.nextRunAt!.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
  // The demo seed writes its catalog row by row through Prisma: slow on a busy machine's PGlite.
}, 180_000);
