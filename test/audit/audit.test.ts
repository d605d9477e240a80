import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { getAuditRetention, listAudit, purgeAudit, recordAudit, setAuditRetention, withoutSecrets } from "../../app/audit/audit.server";
import { loadConfig } from "../../app/config/config.server";
import { sweepRetention } from "../../app/observability/processMetrics.server";
import { useTestDatabase } from "../helpers/database";
import { STANDALONE_ENV } from "../helpers/server";

const database = useTestDatabase();

describe("audit log", () => {
  it("records who did what, before → after, and lists one shop's entries newest first, filtered", async () => {
    const shop = randomUUID();
    const other = randomUUID();
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 2, 12, minute));
    await recordAudit(database().sql, { shopId: shop, actor: "shopify:ana@example.com", action: "settings.update", before: { cacheTtlSeconds: 30 }, after: { cacheTtlSeconds: 10 } }, at(1));
    await recordAudit(database().sql, { shopId: shop, actor: "shopify:bo@example.com", action: "destination.create", target: "d-1", after: { name: "ERP", credentials: { token: "t0p" } } }, at(2));
    await recordAudit(database().sql, { shopId: other, actor: "shopify:eve@example.com", action: "settings.update", after: {} }, at(3));

    const all = await listAudit(database().sql, shop);
    expect(all.map((entry) => entry.action)).toEqual(["destination.create", "settings.update"]);
    expect(all[1]).toMatchObject({ actor: "shopify:ana@example.com", before: { cacheTtlSeconds: 30 }, after: { cacheTtlSeconds: 10 } });
    expect(all[0]!.after).toEqual({ name: "ERP", credentials: "[redacted]" });
    expect((await listAudit(database().sql, shop, { action: "settings" })).map((entry) => entry.actor)).toEqual(["shopify:ana@example.com"]);
    expect((await listAudit(database().sql, shop, { actor: "bo@" })).map((entry) => entry.target)).toEqual(["d-1"]);
    expect(await listAudit(database().sql, shop, { from: at(2), to: at(3) })).toHaveLength(1);
    expect(await listAudit(database().sql, shop, { beforeId: all[0]!.id })).toHaveLength(1);
    expect((await listAudit(database().sql, other)).map((entry) => entry.actor)).toEqual(["shopify:eve@example.com"]);

    // Kept 30 days by default: 30 days after minute 2, the entry of minute 1 has gone.
    expect(await purgeAudit(database().sql, new Date(at(2).getTime() + 30 * 86_400_000), 30)).toBe(1);
    expect(await listAudit(database().sql, shop)).toHaveLength(1);
  });

  it("refuses an action that does not read <thing>.<verb>, writing nothing", async () => {
    const shop = randomUUID();
    await expect(recordAudit(database().sql, { shopId: shop, actor: "x", action: "Delete everything" })).rejects.toThrow("<thing>.<verb>");
    expect(await listAudit(database().sql, shop)).toEqual([]);
  });

  it("redacts secret-looking keys at any depth", () => {
    expect(withoutSecrets({ a: 1, signingSecret: "whsec_x", nested: [{ apiToken: "t", ok: true }], when: new Date(0) })).toEqual({
      a: 1,
      signingSecret: "[redacted]",
      nested: [{ apiToken: "[redacted]", ok: true }],
      when: "1970-01-01T00:00:00.000Z",
    });
  });

  it("keeps entries for the configured retention: the background sweep deletes older ones, and refuses a policy under 30 days", async () => {
    const shop = randomUUID();
    const now = new Date(Date.UTC(2026, 11, 2, 12, 0));
    const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
    await recordAudit(database().sql, { shopId: shop, actor: "cli", action: "settings.update", target: "old" }, daysAgo(91));
    await recordAudit(database().sql, { shopId: shop, actor: "cli", action: "settings.update", target: "kept" }, daysAgo(89));
    const config = loadConfig({ ...STANDALONE_ENV, LOCKSTEP_AUDIT_RETENTION_DAYS: "90" });
    await sweepRetention({ db: database(), config }, now);
    expect((await listAudit(database().sql, shop)).map((entry) => entry.target)).toEqual(["kept"]);
    expect(() => loadConfig({ ...STANDALONE_ENV, LOCKSTEP_AUDIT_RETENTION_DAYS: "7" })).toThrow(/LOCKSTEP_AUDIT_RETENTION_DAYS/);
  });

  it("keeps each shop's entries for its own retention where it set one: the sweep applies it, the others keep the default", async () => {
    const ownPolicy = randomUUID();
    const defaultPolicy = randomUUID();
    const now = new Date(Date.UTC(2026, 11, 2, 12, 0));
    const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
    expect(await getAuditRetention(database().sql, ownPolicy, 90)).toEqual({ days: 90, isDefault: true });
    const change = await setAuditRetention(database().sql, ownPolicy, " 40 ", 90, now);
    expect(change).toEqual({ before: { days: 90, isDefault: true }, after: { days: 40, isDefault: false } });
    for (const shop of [ownPolicy, defaultPolicy]) {
      await recordAudit(database().sql, { shopId: shop, actor: "cli", action: "settings.update", target: "45 days old" }, daysAgo(45));
      await recordAudit(database().sql, { shopId: shop, actor: "cli", action: "settings.update", target: "35 days old" }, daysAgo(35));
    }
    const config = loadConfig({ ...STANDALONE_ENV, LOCKSTEP_AUDIT_RETENTION_DAYS: "90" });
    await sweepRetention({ db: database(), config }, now);
    expect((await listAudit(database().sql, ownPolicy)).map((entry) => entry.target)).toEqual(["35 days old"]);
    expect((await listAudit(database().sql, defaultPolicy)).map((entry) => entry.target)).toEqual(["35 days old", "45 days old"]);

    // Empty brings the default back.
    expect((await setAuditRetention(database().sql, ownPolicy, "", 90, now)).after).toEqual({ days: 90, isDefault: true });
    expect(await getAuditRetention(database().sql, ownPolicy, 90)).toEqual({ days: 90, isDefault: true });
  });

  it("refuses a retention that is not whole days between 30 and 3650, changing nothing", async () => {
    const shop = randomUUID();
    await setAuditRetention(database().sql, shop, "60", 365);
    for (const bad of ["29", "3651", "45.5", "-40", "forty", "1e3", "0x40", undefined, null, { days: 40 }]) {
      await expect(setAuditRetention(database().sql, shop, bad, 365), String(bad)).rejects.toMatchObject({ code: "invalid_audit_retention", status: 400 });
    }
    expect(await getAuditRetention(database().sql, shop, 365)).toEqual({ days: 60, isDefault: false });
  });
});
