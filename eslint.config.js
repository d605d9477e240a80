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
  platforms: ["catalog", "outbound", "shops", "webhooks"],
  checkout: ["availability", "inventory", "outbound", "platforms", "shops"],
  // Known two-way edges left by #14 (the merge of h/admin): observability <-> webhooks (ingestion records
  // into the process's prom-client metrics; /metrics reads the inbox lag) and observability <-> slo
  // (the dashboard's objectives; objectives measure the latency roll-ups).
  observability: ["audit", "outbound", "slo", "webhooks"],
  webhooks: ["batching", "catalog", "inventory", "observability", "outbound", "prices", "shops"],
  backfill: ["batching", "catalog", "inventory", "outbound", "platforms", "shops"],
  // Known two-way edges left in the delayed half (#10 note): batching <-> backfill (catalog row
  // types), batching <-> destinations (adapters registered in scheduler.server.ts), batching <-> webhooks
  // (change capture and event types).
  batching: ["backfill", "destinations", "observability", "outbound", "shops", "webhooks"],
  destinations: ["batching", "outbound", "shops", "webhooks"],
  // Marketplace feeds are kinds of destination: adapters on the pipeline (batching registers them).
  feeds: ["availability", "batching", "catalog", "destinations", "inventory", "outbound", "shops"],
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
    "boundaries/elements": [
      // The edges: HTTP in (node:http and the Remix admin), the admin's auth, the demo.
      { type: "edge", mode: "full", pattern: ["app/routes/**", "app/http/**", "app/staff/**", "app/components/**", "app/demo/**", "app/entry.server.tsx", "app/root.tsx", "app/shopify.server.ts", "app/observability/metricsRoute.server.ts", "app/feeds/google/serve.server.ts"] },
      // Wiring: the process's services made once (context) and its background work started.
      { type: "wiring", mode: "full", pattern: ["app/context.server.ts", "app/background.server.ts", "app/shutdown.server.ts", "app/batching/scheduler.server.ts"] },
      // Base: configuration, the database client, the logger: anything may use them, they use nothing above.
      { type: "base", mode: "full", pattern: ["app/config/**", "app/db/**", "app/generated/**", "app/observability/log.server.ts"] },
      { type: "domain", mode: "full", pattern: "app/*/**", capture: ["name"] },
    ],
  },
  rules: {
    "boundaries/dependencies": [
      "error",
      {
        default: "disallow",
        message: "{{from.type}} {{from.captured.name}} may not import {{to.type}} {{to.captured.name}}: dependencies run edges -> wiring -> domains -> base (ARCHITECTURE.md)",
        policies: [
          { from: { element: { type: "edge" } }, allow: { to: { element: { type: ["edge", "wiring", "domain", "base"] } } } },
          { from: { element: { type: "wiring" } }, allow: { to: { element: { type: ["wiring", "domain", "base"] } } } },
          { from: { element: { type: "base" } }, allow: { to: { element: { type: "base" } } } },
          { from: { element: { type: "domain" } }, allow: { to: { element: { type: "base" } } } },
          // A domain function may take the process's context as an argument (its type only).
          { from: { element: { type: "domain" } }, allow: { to: { element: { type: "wiring" } }, dependency: { kind: "type" } } },
          ...Object.entries(DOMAIN_DEPENDS_ON).map(([name, allowed]) => ({
            from: { element: { type: "domain", captured: { name } } },
            allow: { to: { element: { type: "domain", captured: { name: [name, ...allowed] } } } },
          })),
        ],
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ["node_modules", "build", "app/generated", "test-results", ".scratch", "data", "extensions/*/dist"] },
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
