import { existsSync } from "node:fs";
import path from "node:path";
import { BUILD_DIR } from "../../server/app";

/** Tests of the admin pages run the real Remix build; `npm test` builds it first. */
export function requireAdminBuild(): void {
  if (!existsSync(path.join(BUILD_DIR, "server/index.js"))) {
    throw new Error("The admin is not built: run `npm run build` (npm test does it) before this test");
  }
}
