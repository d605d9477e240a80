import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../app/db/database.server";
import { type Started, startProcess } from "../helpers/process";

const dirs: string[] = [];
const processes: Started[] = [];
// A failed expectation must not leave a demo running (and holding its PGlite folder) after the file.
afterAll(async () => {
  await Promise.all(processes.map((started) => started.stop("SIGKILL")));
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

function start(script: string, args: string[], env: Record<string, string | undefined>): Started {
  const started = startProcess(script, args, env);
  processes.push(started);
  return started;
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "lockstep-start-"));
  dirs.push(dir);
  return dir;
}

describe("start-up with bad configuration", () => {
  it.each([
    [{ NODE_ENV: "production" }, /NODE_ENV=production needs Shopify credentials/],
    [{ SHOPIFY_API_KEY: "key" }, /SHOPIFY_APP_URL, SCOPES missing/],
    [{ PORT: "not-a-port" }, /PORT/],
    [{ DATABASE_URL: "mysql://x" }, /DATABASE_URL must be a postgresql:\/\/ URL/],
  ])("stops at once with exit code 1 and names the variable: %j", async (env, message) => {
    const started = start("server/main.ts", [], { ...env, LOCKSTEP_DATA_DIR: path.join(tempDir(), "pglite") });
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(message);
    expect(started.output()).not.toMatch(/listening/);
  });
});

describe("the demo", () => {
  async function runDemo(dataRoot: string) {
    const demo = start("server/main.ts", ["--demo"], {
      PORT: "0",
      LOCKSTEP_DATA_DIR: path.join(dataRoot, "pglite"),
      LOCKSTEP_DEMO_TRAFFIC: "off",
    });
    // A fresh embedded database initialises and migrates first: on a loaded 2-core machine that took a minute.
    const [, url] = await demo.waitFor(/listening on (http:\/\/\S+)/, 150_000);
    await demo.waitFor(/\(SHOPIFY_API_SECRET, [^)]+\)/);
    return { demo, url: url! };
  }

  async function sporkOnHand(dataRoot: string): Promise<number> {
    const db = await openDatabase({ dataDir: path.join(dataRoot, "pglite") });
    try {
      const [row] = await db.sql.query<{ on_hand: number }>(
        `SELECT sum(l.on_hand)::int AS on_hand FROM inventory_level l JOIN variant v ON v.id = l.variant_id WHERE v.sku = 'SPORK-TI'`,
      );
      return row!.on_hand;
    } finally {
      await db.close();
    }
  }

  it("seeds once, keeps its data and secrets across restarts, and starts fresh without its data folder", async () => {
    const dataRoot = tempDir();
    const first = await runDemo(dataRoot);
    expect(first.demo.output()).toContain("Seeded the demo shop demo-shop.myshopify.com");
    expect(first.demo.output()).toMatch(/API token\s+lst_demo_/);
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    expect(await first.demo.stop()).toBe(0);
    const secrets = JSON.parse(readFileSync(path.join(dataRoot, "demo-secrets.json"), "utf8"));

    // A change made while it is stopped stands for any change the demo itself makes.
    const db = await openDatabase({ dataDir: path.join(dataRoot, "pglite") });
    await db.sql.query(`UPDATE inventory_level SET on_hand = 0 WHERE variant_id = (SELECT id FROM variant WHERE sku = 'SPORK-TI')`);
    await db.close();

    const second = await runDemo(dataRoot);
    expect(second.demo.output()).not.toContain("Seeded");
    expect(second.demo.output()).toContain(secrets.LOCKSTEP_DEMO_API_TOKEN);
    expect(await second.demo.stop()).toBe(0);
    expect(await sporkOnHand(dataRoot)).toBe(0);

    rmSync(dataRoot, { recursive: true, force: true });
    const third = await runDemo(dataRoot);
    expect(third.demo.output()).toContain("Seeded the demo shop");
    expect(await third.demo.stop()).toBe(0);
    expect(await sporkOnHand(dataRoot)).toBe(250);
    expect(existsSync(path.join(dataRoot, "demo-secrets.json"))).toBe(true);
  }, 480_000);

  it("takes its secrets from the environment when they are set", async () => {
    const dataRoot = tempDir();
    const demo = start("server/main.ts", ["--demo"], {
      PORT: "0",
      LOCKSTEP_DATA_DIR: path.join(dataRoot, "pglite"),
      LOCKSTEP_DEMO_TRAFFIC: "off",
      SHOPIFY_API_SECRET: "outside-tool-secret",
      LOCKSTEP_DEMO_API_TOKEN: "lst_from_the_environment_123456",
    });
    await demo.waitFor(/\(SHOPIFY_API_SECRET, [^)]+\)/, 150_000);
    expect(demo.output()).toMatch(/lst_from_the_environment_123456\s+\(LOCKSTEP_DEMO_API_TOKEN, from the environment\)/);
    expect(demo.output()).toMatch(/outside-tool-secret\s+\(SHOPIFY_API_SECRET, from the environment\)/);
    expect(await demo.stop("SIGINT")).toBe(0);
  }, 180_000);
});
