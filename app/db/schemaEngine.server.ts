import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { Migration } from "./migrations.server";

// Prisma's migration engine compiled to Wasm: `prisma migrate` without the native engine it would
// download. Used to write new migrations (diff) and to check that migrations match the schema.

interface SchemaEngineGlue {
  __wbg_set_wasm(exports: WebAssembly.Exports): void;
  SchemaEngine: {
    new: (options: { datamodels: [string, string][] }, log: (message: string) => void, adapter: object) => Promise<SchemaEngineInstance>;
  };
}

interface SchemaEngineInstance {
  diff(params: unknown): Promise<{ exitCode: number; stdout: string | null }>;
  free(): void;
}

export const SCHEMA_DIR = path.resolve(import.meta.dirname, "../../prisma/schema");

/** The schema is one folder of `.prisma` files (one per domain), read as Prisma reads it. */
export function readSchemaFiles(dir: string = SCHEMA_DIR): { path: string; content: string }[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".prisma"))
    .sort()
    .map((name) => ({ path: path.join(dir, name), content: readFileSync(path.join(dir, name), "utf8") }));
}

const engineSlot = globalThis as { __lockstepSchemaEngineGlue?: Promise<SchemaEngineGlue> };

// Instantiating the Wasm module twice in one process corrupts it: keep one per process.
function loadGlue(): Promise<SchemaEngineGlue> {
  engineSlot.__lockstepSchemaEngineGlue ??= (async () => {
    const require = createRequire(import.meta.url);
    const packageDir = path.dirname(require.resolve("@prisma/schema-engine-wasm"));
    const glue = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as unknown as SchemaEngineGlue;
    const module = new WebAssembly.Module(readFileSync(path.join(packageDir, "schema_engine_bg.wasm")));
    const instance = new WebAssembly.Instance(module, { "./schema_engine_bg.js": glue as unknown as WebAssembly.ModuleImports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return engineSlot.__lockstepSchemaEngineGlue;
}

function migrationList(baseDir: string, migrations: Migration[]) {
  return {
    baseDir,
    lockfile: { path: "migration_lock.toml", content: 'provider = "postgresql"\n' },
    shadowDbInitScript: "",
    migrationDirectories: migrations.map((m) => ({
      path: m.name,
      migrationFile: { path: "migration.sql", content: { tag: "ok", value: m.sql } },
    })),
  };
}

/**
 * The SQL that takes a database from the given migrations to the schema files: the body of the
 * next migration, or an empty string when they already agree. `adapterFactory` provides the
 * shadow database the migrations are replayed on.
 */
export async function diffMigrationsToSchema(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  migrations: Migration[],
  baseDir: string,
  schemaDir: string = SCHEMA_DIR,
): Promise<string> {
  const glue = await loadGlue();
  const files = readSchemaFiles(schemaDir);
  const engine = await glue.SchemaEngine.new(
    { datamodels: files.map((file) => [file.path, file.content]) },
    () => undefined,
    bindMigrationAwareSqlAdapterFactory(adapterFactory),
  );
  try {
    const from = migrations.length > 0 ? { tag: "migrations", ...migrationList(baseDir, migrations) } : { tag: "empty" };
    const result = await engine.diff({
      from,
      to: { tag: "schemaDatamodel", files },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    });
    const script = result.stdout ?? "";
    return /^\s*(-- This is an empty migration\.)?\s*$/.test(script) ? "" : script;
  } finally {
    engine.free();
  }
}
