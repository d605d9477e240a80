// One benchmark target in its own process: `bare` (node:http that only checks the HMAC, the
// baseline) or `lockstep` (the real webhook edge: verify, dedupe, group-committed durable write).
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { loadConfig } from "../../app/config/config.server";
import { closeAppContext, createAppContext } from "../../app/context.server";
import { type Database, openDatabase } from "../../app/db/database.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { Router } from "../../app/http/router.server";
import { installShop } from "../../app/shops/shops.server";
import { registerWebhookRoutes } from "../../app/http/platformWebhooks.server";
import { BENCH_SECRET, BENCH_SHOP } from "./constants";


async function bare(): Promise<http.Server> {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const expected = createHmac("sha256", BENCH_SECRET).update(Buffer.concat(chunks)).digest();
      const given = Buffer.from(String(req.headers["x-shopify-hmac-sha256"] ?? ""), "base64");
      const ok = given.length === expected.length && timingSafeEqual(given, expected);
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      res.end(ok ? '{"ok":true}' : '{"error":{}}');
    });
  });
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(text).finally(() => client.end());
}

async function lockstep(databaseUrl: string | undefined): Promise<{ server: http.Server; cleanup: () => Promise<void> }> {
  let db: Database;
  let cleanup: () => Promise<void>;
  if (databaseUrl) {
    const name = `lockstep_bench_${process.pid}`;
    const server = new URL(databaseUrl);
    await adminQuery(databaseUrl, `CREATE DATABASE "${name}"`);
    server.pathname = `/${name}`;
    db = await openDatabase({ databaseUrl: server.toString(), poolSize: 10 });
    cleanup = async () => {
      await db.close();
      await adminQuery(databaseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    };
  } else {
    // A data folder on disk, as the embedded mode runs in production: the write is durable, not just in memory.
    const dataDir = mkdtempSync(path.join(tmpdir(), "lockstep-bench-"));
    db = await openDatabase({ dataDir });
    cleanup = async () => {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  }
  await applyMigrations(db.sql);
  await installShop(db.prisma, { platform: "shopify", domain: BENCH_SHOP });
  const config = loadConfig({ NODE_ENV: "test", SHOPIFY_API_SECRET: BENCH_SECRET, DATABASE_URL: databaseUrl });
  const router = new Router();
  const context = createAppContext(config, db);
  registerWebhookRoutes(router, context);
  const server = http.createServer((req, res) => {
    if (!router.handle(req, res)) {
      res.statusCode = 404;
      res.end();
    }
  });
  return {
    server,
    cleanup: async () => {
      await closeAppContext(context);
      await cleanup();
    },
  };
}

const mode = process.argv[2];
const target = mode === "bare" ? { server: await bare(), cleanup: async () => undefined } : await lockstep(process.env.DATABASE_URL || undefined);
target.server.keepAliveTimeout = 65_000;
target.server.listen(0, "127.0.0.1", () => console.log(`listening ${(target.server.address() as AddressInfo).port}`));
process.on("SIGTERM", () => {
  target.server.close();
  target.server.closeAllConnections();
  target.cleanup().then(() => process.exit(0), () => process.exit(1));
});
