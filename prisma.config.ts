import { defineConfig } from "prisma/config";

// Prisma's CLI wants a native schema engine it would download; this machine has no
// internet. `generate`/`validate`/`format` only need some file here; migrations go
// through the Wasm engine in scripts/migrate.ts instead.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= "package.json";

export default defineConfig({
  schema: "prisma/schema",
  migrations: { path: "prisma/migrations" },
});
