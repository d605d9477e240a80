import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapterRegistry } from "../../app/batching/adapters";
import { createDestination, listDestinations, loadDestination, updateDestination } from "../../app/batching/destinations.server";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { ENCRYPTION_KEY, memoryReceiver, seedShop } from "./pipelineFixture";

let db: TestDatabase;
let shopId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  shopId = (await seedShop(db, 1)).shopId;
});
afterAll(async () => {
  await db.close();
});

const deps = () => ({ sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([memoryReceiver().adapter]) });
const valid = { name: "NetSuite", kind: "erp_http", endpoint: "https://erp.example/api", receives: ["catalog", "price"] };

describe("destinations are data", () => {
  it.each([
    [{ ...valid, cadence: "every five minutes" }, "cadence: cadence must be a cron expression, e.g. */15 * * * *"],
    [{ ...valid, kind: "fax" }, "kind: kind must be one of erp_http, sftp_files, google_feed, amazon_listings"],
    [{ ...valid, receives: [] }, "receives: receives needs at least one of catalog, price, stock, orders"],
    [{ ...valid, endpoint: "ftp://erp.example" }, "endpoint: a erp_http destination needs a https: or http: URL"],
    [{ ...valid, kind: "sftp_files", endpoint: "https://erp.example" }, "endpoint: a sftp_files destination needs a sftp: URL"],
    [{ ...valid, limits: { batchSize: 0 } }, "limits.batchSize: Too small: expected number to be >=1"],
    [{ ...valid, signingSecret: "plain" }, "signingSecret: signingSecret must look like whsec_<base64>"],
    [{ ...valid, name: " " }, "name: name is required"],
  ])("refuses %j with a clear error", async (input, message) => {
    await expect(createDestination(deps(), shopId, input)).rejects.toMatchObject({ code: "invalid_destination", status: 400, message });
    expect(await listDestinations(db.sql, shopId)).toHaveLength(0);
  });

  it("refuses a kind this process cannot publish to, a second destination of the same name, and an unknown shop", async () => {
    await expect(createDestination(deps(), shopId, { ...valid, kind: "google_feed" })).rejects.toMatchObject({ code: "destination_kind_unavailable", status: 400 });
    await createDestination(deps(), shopId, { ...valid, name: "Twice" });
    await expect(createDestination(deps(), shopId, { ...valid, name: "Twice" })).rejects.toMatchObject({ code: "destination_exists", status: 409 });
    await expect(createDestination(deps(), "00000000-0000-0000-0000-000000000001", valid)).rejects.toMatchObject({ code: "unknown_shop", status: 404 });
  });

  it("seals credentials and the signing secret at rest and never shows them back", async () => {
    const created = await createDestination(deps(), shopId, { ...valid, name: "Sealed", credentials: { token: "erp-secret-token" } });
    expect(created.hasCredentials).toBe(true);
    expect(JSON.stringify(created)).not.toContain("erp-secret-token");
    expect(JSON.stringify(await listDestinations(db.sql, shopId))).not.toContain("erp-secret-token");
    const [row] = await db.sql.query<{ credentials_sealed: string; signing_secret_sealed: string }>(`SELECT credentials_sealed, signing_secret_sealed FROM destination WHERE id = $1`, [created.id]);
    expect(row!.credentials_sealed).toMatch(/^v1:/);
    expect(row!.credentials_sealed).not.toContain("erp-secret-token");
    const opened = await loadDestination(deps(), created.id);
    expect(opened.credentials).toEqual({ token: "erp-secret-token" });
    expect(opened.signingSecret).toMatch(/^whsec_/);
    expect(row!.signing_secret_sealed).not.toContain(opened.signingSecret);
  });

  it("changes only what a change names: flipping the mode keeps cadence and limits", async () => {
    const created = await createDestination(deps(), shopId, { ...valid, name: "Flip", cadence: "*/5 * * * *", limits: { batchSize: 50, concurrency: 3, requestsPerSecond: 2 } });
    const flipped = await updateDestination(deps(), shopId, created.id, { mode: "live", limits: { batchSize: 25 } });
    expect(flipped).toMatchObject({ mode: "live", cadence: "*/5 * * * *", limits: { batchSize: 25, concurrency: 3, requestsPerSecond: 2 }, requestedRun: "full" });
    await expect(updateDestination(deps(), shopId, created.id, { cadence: "never" })).rejects.toMatchObject({ code: "invalid_destination" });
    await expect(updateDestination(deps(), shopId, "not-an-id", { mode: "live" })).rejects.toMatchObject({ code: "destination_not_found", status: 404 });
  });
});
