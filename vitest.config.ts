import { defineConfig } from "vitest/config";

// Kept apart from vite.config.ts: the Remix plugin has no business in unit tests.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "extensions/**/*.test.ts"],
    // The chaos run needs worker processes on a database server: it runs in the PostgreSQL pass
    // (DATABASE_URL set), and as `npm run chaos` at full size.
    exclude: ["**/node_modules/**", ...(process.env.DATABASE_URL || process.env.LOCKSTEP_CHAOS_EVENTS ? [] : ["test/chaos/**"])],
    environment: "node",
    pool: "forks",
    // A promise rejection nobody handles fails the test that caused it, as it would end a production process.
    execArgv: ["--unhandled-rejections=strict"],
    // Two cores: more parallel files only make each PGlite start slower.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", ["json", { outputFile: process.env.LOCKSTEP_TEST_REPORT ?? "test-results/vitest.json" }]],
  },
});
