// One server for bench/availability/run.ts, in its own process: `bare` (node:http answering a fixed
// availability body after checking the bearer token) or `lockstep` (the real edge server, PGlite in memory).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig } from "../../app/config/config.server";
import { issueApiToken } from "../../app/shops/shops.server";
import { seedStockShop } from "../../test/reservations/stockFixture";
import { startLockstep } from "../../server/app";
import { BENCH_SKUS, BENCH_TOKEN } from "./constants";

const mode = process.argv[2];

if (mode === "bare") {
  const expected = `Bearer ${BENCH_TOKEN}`;
  const updatedAt = new Date().toISOString();
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401).end();
      return;
    }
    const sku = new URL(req.url ?? "/", "http://localhost").searchParams.get("sku") ?? "";
    const body = JSON.stringify({ items: [{ sku, available: 3, updatedAt, stale: false }] });
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
    res.end(body);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1", () => console.log(`listening ${(server.address() as AddressInfo).port}`));
  // An orderly exit, so that `node --cpu-prof` writes the bare server's profile too.
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
} else {
  const running = await startLockstep({
    config: loadConfig({ NODE_ENV: "production", HOST: "127.0.0.1", PORT: "0", LOCKSTEP_DATA_DIR: "memory://", SHOPIFY_API_KEY: "bench", SHOPIFY_API_SECRET: "bench-secret", SHOPIFY_APP_URL: "https://bench.example.com", SCOPES: "read_inventory", LOCKSTEP_SESSION_SECRET: "a-bench-session-secret-of-32-chars!!", LOCKSTEP_ENCRYPTION_KEY: "a-bench-encryption-key-of-32-chars!!", METRICS_TOKEN: "bench-metrics-token", LOCKSTEP_STOREFRONT_RATE_LIMIT: "1000000000" }),
    buildDir: "/nonexistent",
    background: false,
    log: () => undefined,
    beforeListen: async ({ db }) => {
      const shop = await seedStockShop(db, BENCH_SKUS.map((sku) => ({ sku, stock: [3, 0] })), new Date());
      await issueApiToken(db.prisma, shop.shopId, BENCH_TOKEN);
    },
  });
  console.log(`listening ${running.server.address() && (running.server.address() as AddressInfo).port}`);
  process.on("SIGTERM", () => void running.close().then(() => process.exit(0)));
}
