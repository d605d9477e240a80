import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  plugins: [
    remix({
      // A README in app/routes is documentation, not a route.
      ignoredRouteFiles: ["**/.*", "**/*.test.*", "**/*.md"],
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_lazyRouteDiscovery: true,
        v3_singleFetch: true,
      },
    }),
  ],
  build: { assetsInlineLimit: 0 },
  // Server-only packages must never be pre-bundled for the browser; the data folder is not source.
  optimizeDeps: {
    exclude: ["@electric-sql/pglite", "@prisma/client", "pglite-prisma-adapter", "@prisma/adapter-pg"],
    include: ["@shopify/app-bridge-react", "@shopify/polaris"],
  },
  server: { watch: { ignored: ["**/data/**", "**/.scratch/**"] } },
  ssr: { external: ["@electric-sql/pglite", "@prisma/client", "pglite-prisma-adapter", "@prisma/adapter-pg", "pg"] },
});
