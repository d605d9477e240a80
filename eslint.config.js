import js from "@eslint/js";
import boundaries from "eslint-plugin-boundaries";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

// Dependencies run one way: entries -> edges -> wiring -> domains -> base (ARCHITECTURE.md).
// Between domains, each lists the domains it may import; the list is the direction.
const DOMAIN_DEPENDS_ON = {
  outbound: [],
  shops: [],
  inventory: [],
  catalog: ["inventory"],
  availability: ["inventory"],
  reservations: ["availability", "inventory", "shops", "webhooks"],
  platforms: ["catalog", "outbound", "shops"],
  checkout: ["availability", "inventory", "outbound", "platforms", "shops"],
  // Observability measures and shows; the domains record into it (webhooks' ingestion metrics, the
  // objectives in app/slo read its latency roll-ups). It reads other domains' tables only through its
  // own sql/ (inbox lag, a shop's webhook health, the trace page's path of an event); its retention
  // sweep also purges the staff audit log (app/audit, which depends on nothing).
  observability: ["audit", "outbound"],
  // The platform-neutral domain events: what webhooks (and an SFTP inbound file) say changed.
  events: ["catalog"],
  webhooks: ["batching", "catalog", "events", "inventory", "observability", "outbound", "platforms", "prices", "shops"],
  backfill: ["batching", "catalog", "inventory", "outbound", "platforms", "shops"],
  // The pipeline: the webhook consumers and the backfill capture changes into it; destination adapters
  // implement its interfaces (app/batching/types.ts) and the wiring (scheduler.server.ts) registers them.
  batching: ["audit", "catalog", "events", "observability", "outbound", "shops"],
  destinations: ["batching", "events", "outbound", "shops", "webhooks"],
  // Marketplace feeds are kinds of destination: adapters on the pipeline (batching registers them).
  feeds: ["availability", "batching", "catalog", "destinations", "inventory", "outbound", "prices", "shops"],
  prices: ["batching", "checkout", "outbound", "platforms", "shops"],
  onboarding: ["backfill", "batching", "checkout", "platforms", "shops", "webhooks"],
  // Objectives, incidents and their notifications (signed like a destination's deliveries, through app/outbound).
  slo: ["destinations", "observability", "outbound", "shops"],
  audit: [],
};

const architecture = {
  files: ["app/**/*.{ts,tsx}"],
  plugins: { boundaries },
  settings: {
    "import/resolver": { node: { extensions: [".ts", ".tsx", ".js"] } },
    // Each file is classified by its full path (`boundaries/files`, the first matching descriptor wins): the
    // layers hold whole folders and single files (a wiring file inside a domain folder, the logger in base).
    "boundaries/files": [
      // The edges: HTTP in (node:http and the Remix admin), the admin's auth, the demo, the views that
      // compose several domains for one page (/metrics, the dashboard's sync overview).
      { category: "edge", stopMatching: true, pattern: ["app/routes/**", "app/http/**", "app/staff/**", "app/components/**", "app/demo/**", "app/entry.server.tsx", "app/root.tsx", "app/shopify.server.ts", "app/observability/metricsRoute.server.ts", "app/observability/dashboard.server.ts", "app/feeds/google/serve.server.ts"] },
      // Wiring: the process's services made once (context) and its background work started.
      { category: "wiring", stopMatching: true, pattern: ["app/context.server.ts", "app/background.server.ts", "app/shutdown.server.ts", "app/batching/scheduler.server.ts"] },
      // Base: configuration, the database client, the logger: anything may use them, they use nothing above.
      { category: "base", stopMatching: true, pattern: ["app/config/**", "app/db/**", "app/generated/**", "app/observability/log.server.ts"] },
      { category: "domain", stopMatching: true, pattern: "app/(*)/**", capture: ["name"] },
    ],
  },
  rules: {
    "boundaries/dependencies": [
      "error",
      {
        default: "disallow",
        message: "{{from.file.categories}} {{from.file.captured.name}} may not import {{to.file.categories}} {{to.file.captured.name}}: dependencies run edges -> wiring -> domains -> base (ARCHITECTURE.md)",
        policies: [
          { from: { file: { categories: "edge" } }, allow: { to: { file: { categories: ["edge", "wiring", "domain", "base"] } } } },
          { from: { file: { categories: "wiring" } }, allow: { to: { file: { categories: ["wiring", "domain", "base"] } } } },
          { from: { file: { categories: "base" } }, allow: { to: { file: { categories: "base" } } } },
          { from: { file: { categories: "domain" } }, allow: { to: { file: { categories: "base" } } } },
          // A domain function may take the process's context as an argument (its type only).
          { from: { file: { categories: "domain" } }, allow: { to: { file: { categories: "wiring" } }, dependency: { kind: "type" } } },
          ...Object.entries(DOMAIN_DEPENDS_ON).map(([name, allowed]) => ({
            from: { file: { categories: "domain", captured: { name } } },
            allow: { to: { file: { categories: "domain", captured: { name: [name, ...allowed] } } } },
          })),
        ],
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ["node_modules", "build", "app/generated", "test-results", ".scratch", "data", "extensions/*/dist", ".cache"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["app/**/*.tsx", "extensions/**/*.tsx"],
    plugins: { "react-hooks": reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-console": "off",
    },
  },
  architecture,
);
