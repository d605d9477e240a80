import { describe, expect, it } from "vitest";
import { loadConfig } from "../../app/config/config.server";
import { openDatabase } from "../../app/db/database.server";
import { readMigrations } from "../../app/db/migrations.server";
import { readiness } from "../../app/http/health.server";
import { startLockstep } from "../../server/app";
import { createTestDatabase } from "../helpers/database";
import { STANDALONE_ENV, useTestServer } from "../helpers/server";

const server = useTestServer({ build: false });

describe("health endpoints", () => {
  it("/healthz says the process is up", async () => {
    const response = await fetch(`${server().url}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    expect(await response.json()).toMatchObject({ status: "ok" });
  });

  it("/readyz says the database is reachable and at the latest migration", async () => {
    const response = await fetch(`${server().url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ready", database: { reachable: true }, migrations: { current: true, pending: [] } });
  });

  it("answers 405 with Allow for another method", async () => {
    const response = await fetch(`${server().url}/healthz`, { method: "POST", body: "{}" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET");
    expect(await response.json()).toMatchObject({ error: { code: "method_not_allowed" } });
  });
});

describe("readiness", () => {
  it("is not ready while migrations are pending", async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      const report = await readiness({ config: loadConfig(STANDALONE_ENV), db, startedAt: new Date() }, readMigrations());
      expect(report).toMatchObject({ status: "not_ready", database: { reachable: true }, migrations: { current: false } });
      expect(report.migrations?.pending.length).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  });

  it("answers 503 when the database cannot be reached", async () => {
    const db = await openDatabase({ dataDir: "memory://" });
    const running = await startLockstep({ config: loadConfig(STANDALONE_ENV), db, buildDir: "/nonexistent", background: false, log: () => undefined });
    try {
      await db.close();
      const response = await fetch(`${running.url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: "not_ready", database: { reachable: false } });
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    } finally {
      await running.close();
    }
  }, 120_000);
});
