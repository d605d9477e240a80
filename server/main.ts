// The process entry of Lockstep: `npm start`, and `npm run demo` (with --demo).
// It owns start-up (configuration, migrations, seed) and shutdown (close the database, exit 0).
import { loadConfig } from "../app/config/config.server";
import { ConfigError } from "../app/config/errors";
import { DEMO_SHOP_DOMAIN, seedDemoShop } from "../app/demo/seed.server";
import { startDemoTraffic } from "../app/demo/traffic.server";
import { prepareDemoEnvironment } from "./demoEnvironment";
import { startLockstep } from "./app";

async function main(): Promise<void> {
  // Signals are caught from the first moment: a stop during start-up still closes the database.
  const lifecycle: { running?: { close(): Promise<void> }; stopSignal?: string } = {};
  const stop = (signal: string) => {
    if (lifecycle.stopSignal) return;
    lifecycle.stopSignal = signal;
    console.log(`${signal}: shutting down`);
    if (lifecycle.running) shutDown(lifecycle.running);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  const demo = process.argv.includes("--demo");
  const demoSecrets = demo ? prepareDemoEnvironment(process.env) : undefined;
  const config = loadConfig();
  const running = await startLockstep({
    config,
    beforeListen: demo
      ? async ({ db }) => {
          const { seeded } = await seedDemoShop(db.prisma, { apiToken: config.demo.apiToken! });
          if (seeded) console.log(`Seeded the demo shop ${DEMO_SHOP_DOMAIN}`);
        }
      : undefined,
  });

  const database = config.databaseUrl ? "PostgreSQL" : `embedded PGlite in ${config.dataDir}`;
  console.log(`Lockstep (${config.mode} mode, ${database}) listening on ${running.url}`);
  if (demo) {
    console.log(`  Admin:       ${running.url}/app  (log in with the password below)`);
    for (const line of demoSecrets!.describe(process.env)) console.log(`  ${line}`);
  }
  let stopTraffic: (() => Promise<void>) | undefined;
  if (demo && config.demo.traffic) {
    const traffic = await startDemoTraffic({ baseUrl: running.url, webhookSecret: config.shopifyApiSecret, apiToken: config.demo.apiToken! });
    stopTraffic = traffic.stop;
    console.log(`  Simulated traffic: a Shopify store at ${traffic.simulator.url} sends signed webhooks; a flash sale in 15 s, then every 45 s (LOCKSTEP_DEMO_TRAFFIC=off for a quiet shop)`);
  }
  lifecycle.running = {
    async close() {
      await stopTraffic?.();
      await running.close();
    },
  };
  if (lifecycle.stopSignal) shutDown(lifecycle.running);
}

function shutDown(running: { close(): Promise<void> }): void {
  running.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error("Lockstep failed to start:", error instanceof Error ? (error.stack ?? error.message) : error);
  }
  process.exit(1);
});
