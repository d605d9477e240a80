import type { Config } from "./config/config.server";
import type { Database } from "./db/database.server";

/**
 * What one Lockstep process shares: its configuration and its database. The server entry
 * (server/main.ts) builds it once at start-up; the Remix build and the fast HTTP edges read it.
 * It lives on globalThis because the Remix build carries its own copy of the app's modules.
 */
export interface AppContext {
  config: Config;
  db: Database;
  startedAt: Date;
}

const slot = globalThis as { __lockstepContext?: AppContext };

export function setAppContext(context: AppContext | undefined): void {
  slot.__lockstepContext = context;
}

export function appContext(): AppContext {
  const context = slot.__lockstepContext;
  if (!context) throw new Error("Lockstep is not started: run it through server/main.ts (npm start / npm run demo)");
  return context;
}
