import type { SqlRunner } from "../../db/database.server";

export interface SetupFacts {
  policyChosen: boolean;
  apiTokenCreated: boolean;
  destinationsEnabled: number;
  dismissal: { dismissedAt: Date; stepsDone: string[] } | null;
}

/** What the setup guide reads from Lockstep's own tables, in one statement. */
export async function readSetupFacts(sql: SqlRunner, shopId: string): Promise<SetupFacts> {
  const [row] = await sql.query<{ policy: boolean; token: boolean; destinations: number; dismissed_at: Date | null; steps_done: string[] | null }>(
    `SELECT EXISTS (SELECT 1 FROM inventory_policy WHERE shop_id = s.id) AS policy,
            s.api_token_hash IS NOT NULL AS token,
            (SELECT count(*)::int FROM destination WHERE shop_id = s.id AND enabled) AS destinations,
            d.dismissed_at, d.steps_done
     FROM shop s LEFT JOIN onboarding_dismissal d ON d.shop_id = s.id
     WHERE s.id = $1::uuid`,
    [shopId],
  );
  return {
    policyChosen: row?.policy ?? false,
    apiTokenCreated: row?.token ?? false,
    destinationsEnabled: row?.destinations ?? 0,
    dismissal: row?.dismissed_at ? { dismissedAt: new Date(row.dismissed_at), stepsDone: row.steps_done ?? [] } : null,
  };
}
