import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

type Environment = Record<string, string | undefined>;

// Secrets the demo needs; taken from the environment when set, else made up once and kept beside
// the demo's data so that a restart keeps the same login, token and signing secret.
const DEMO_SECRETS = {
  LOCKSTEP_ADMIN_PASSWORD: { label: "Password", make: () => randomBytes(9).toString("base64url") },
  LOCKSTEP_DEMO_API_TOKEN: { label: "API token", make: () => `lst_demo_${randomBytes(18).toString("base64url")}` },
  SHOPIFY_API_SECRET: { label: "Webhook / app proxy secret (SHOPIFY_API_SECRET)", make: () => randomBytes(24).toString("hex") },
  LOCKSTEP_SESSION_SECRET: { label: "", make: () => randomBytes(32).toString("base64url") },
  LOCKSTEP_ENCRYPTION_KEY: { label: "", make: () => randomBytes(32).toString("base64url") },
} as const;

type SecretName = keyof typeof DEMO_SECRETS;

/** The demo always runs standalone; real-app variables are put aside and missing secrets filled in. */
export function prepareDemoEnvironment(env: Environment) {
  for (const name of ["SHOPIFY_API_KEY", "SHOPIFY_APP_URL", "SCOPES"]) {
    if (env[name]) console.log(`The demo runs standalone: ignoring ${name}`);
    delete env[name];
  }
  const dataDir = env.LOCKSTEP_DATA_DIR || "./data/pglite";
  const file = dataDir.startsWith("memory://") ? undefined : path.join(path.dirname(path.resolve(dataDir)), "demo-secrets.json");
  const stored: Partial<Record<SecretName, string>> = file && existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  const origin = {} as Record<SecretName, "environment" | "generated">;
  for (const name of Object.keys(DEMO_SECRETS) as SecretName[]) {
    if (env[name]) {
      origin[name] = "environment";
      continue;
    }
    stored[name] ??= DEMO_SECRETS[name].make();
    env[name] = stored[name];
    origin[name] = "generated";
  }
  if (file) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  return {
    /** What to print at start, so outside tools (curl, scripts) can talk to the demo. */
    describe(current: Environment): string[] {
      return (Object.keys(DEMO_SECRETS) as SecretName[])
        .filter((name) => DEMO_SECRETS[name].label)
        .map((name) => {
          const where = origin[name] === "environment" ? "from the environment" : `generated${file ? `, kept in ${path.relative(process.cwd(), file)}` : ""}`;
          return `${DEMO_SECRETS[name].label.padEnd(12)} ${current[name]}  (${name}, ${where})`;
        });
    },
  };
}
