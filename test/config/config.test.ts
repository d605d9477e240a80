import { describe, expect, it } from "vitest";
import { loadConfig } from "../../app/config/config.server";
import { ConfigError } from "../../app/config/errors";

const EMBEDDED = {
  SHOPIFY_API_KEY: "key",
  SHOPIFY_API_SECRET: "secret",
  SHOPIFY_APP_URL: "https://lockstep.example.com/",
  SCOPES: "read_products,write_inventory",
};

function failure(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected the configuration to be refused");
}

describe("loadConfig", () => {
  it("runs standalone on the embedded database with no variables at all", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ mode: "standalone", port: 3000, host: "127.0.0.1", databaseUrl: undefined, dataDir: "./data/pglite", nodeEnv: "development" });
    expect(config.demo.traffic).toBe(true);
    expect(config.generatedSecrets).toEqual(expect.arrayContaining(["SHOPIFY_API_SECRET", "LOCKSTEP_SESSION_SECRET", "LOCKSTEP_ADMIN_PASSWORD"]));
  });

  it("runs embedded with all Shopify credentials", () => {
    const config = loadConfig({ ...EMBEDDED, DATABASE_URL: "postgresql://127.0.0.1:5432/lockstep", PORT: "8080" });
    expect(config.mode).toBe("embedded");
    expect(config.shopifyApp).toEqual({ apiKey: "key", appUrl: "https://lockstep.example.com", scopes: ["read_products", "write_inventory"] });
    expect(config.shopifyApiSecret).toBe("secret");
    expect(config.databaseUrl).toBe("postgresql://127.0.0.1:5432/lockstep");
    expect(config.port).toBe(8080);
    expect(config.adminPassword).toBeUndefined();
  });

  it("keeps SHOPIFY_API_SECRET alone as the standalone demo's signing secret", () => {
    const config = loadConfig({ SHOPIFY_API_SECRET: "demo-secret" });
    expect(config.mode).toBe("standalone");
    expect(config.shopifyApiSecret).toBe("demo-secret");
    expect(config.generatedSecrets).not.toContain("SHOPIFY_API_SECRET");
  });

  it("names every missing Shopify variable when only some are set", () => {
    const message = failure({ SHOPIFY_API_KEY: "key" });
    expect(message).toContain("SHOPIFY_API_SECRET");
    expect(message).toContain("SHOPIFY_APP_URL");
    expect(message).toContain("SCOPES");
  });

  it("never falls into standalone mode in production", () => {
    expect(failure({ NODE_ENV: "production" })).toMatch(/NODE_ENV=production needs Shopify credentials/);
  });

  it("requires the session secret, the encryption key and the metrics token in production", () => {
    expect(failure({ ...EMBEDDED, NODE_ENV: "production" })).toMatch(/LOCKSTEP_SESSION_SECRET missing/);
    expect(failure({ ...EMBEDDED, NODE_ENV: "production", LOCKSTEP_SESSION_SECRET: "x".repeat(32) })).toMatch(/LOCKSTEP_ENCRYPTION_KEY missing/);
    const secrets = { LOCKSTEP_SESSION_SECRET: "x".repeat(32), LOCKSTEP_ENCRYPTION_KEY: "e".repeat(32) };
    expect(failure({ ...EMBEDDED, NODE_ENV: "production", ...secrets })).toMatch(/METRICS_TOKEN missing/);
    const config = loadConfig({ ...EMBEDDED, NODE_ENV: "production", ...secrets, METRICS_TOKEN: "m".repeat(16) });
    // Only an unused platform's secret may be made up: with it every BigCommerce delivery is refused.
    expect(config.generatedSecrets.filter((name) => name !== "BIGCOMMERCE_CLIENT_SECRET")).toEqual([]);
  });

  it.each([
    [{ PORT: "eighty" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ DATABASE_URL: "mysql://localhost/db" }, "DATABASE_URL must be a postgresql:// URL"],
    [{ REDIS_URL: "localhost:6379" }, "REDIS_URL must be a redis:// URL"],
    [{ ...EMBEDDED, SHOPIFY_APP_URL: "not a url" }, "SHOPIFY_APP_URL"],
    [{ ...EMBEDDED, SCOPES: "read products" }, "SCOPES must be a comma-separated list"],
    [{ NODE_ENV: "staging" }, "NODE_ENV"],
    [{ LOCKSTEP_SESSION_SECRET: "short" }, "LOCKSTEP_SESSION_SECRET must be at least 32 characters"],
    [{ LOCKSTEP_DEMO_TRAFFIC: "maybe" }, "LOCKSTEP_DEMO_TRAFFIC must be on or off"],
    [{ LOCKSTEP_PRICE_LEASE_MS: "500" }, "LOCKSTEP_PRICE_LEASE_MS"],
    [{ LOCKSTEP_PRICE_LEASE_MS: "a minute" }, "LOCKSTEP_PRICE_LEASE_MS"],
  ])("refuses %j with a message naming the variable", (env, expected) => {
    expect(failure(env)).toContain(expected);
  });

  it("reports all problems at once", () => {
    const message = failure({ PORT: "x", DATABASE_URL: "nope" });
    expect(message).toContain("PORT");
    expect(message).toContain("DATABASE_URL");
  });

  it("bounds every database wait and the shutdown, with defaults and named errors", () => {
    const config = loadConfig({ LOCKSTEP_DB_STATEMENT_TIMEOUT_MS: "15000" });
    expect(config.database).toEqual({ connectMs: 5_000, statementMs: 15_000, idleInTransactionMs: 30_000, idleClientMs: 30_000 });
    expect(config.shutdownTimeoutMs).toBe(10_000);
    const message = failure({ LOCKSTEP_DB_CONNECT_TIMEOUT_MS: "soon", LOCKSTEP_SHUTDOWN_TIMEOUT_MS: "-1" });
    expect(message).toContain("LOCKSTEP_DB_CONNECT_TIMEOUT_MS");
    expect(message).toContain("LOCKSTEP_SHUTDOWN_TIMEOUT_MS");
  });

  it("leases price activations for 60 s unless told otherwise", () => {
    expect(loadConfig({}).prices).toEqual({ leaseMs: 60_000 });
    expect(loadConfig({ LOCKSTEP_PRICE_LEASE_MS: "5000" }).prices).toEqual({ leaseMs: 5_000 });
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ DATABASE_URL: "", SHOPIFY_API_KEY: "" }).mode).toBe("standalone");
  });
});
