import { describe, expect, it } from "vitest";
import { RESERVE_BATCH_FUNCTION_BODY, RESERVE_FUNCTION_BODY } from "../../app/reservations/sql/reserve";
import { useTestDatabase } from "../helpers/database";

const getDb = useTestDatabase();

describe("the lockstep_reserve functions", () => {
  it("are exactly the text in app/reservations/sql/reserve.ts (a change there needs a new migration)", async () => {
    const rows = await getDb().sql.query<{ body: string }>(`SELECT prosrc AS body FROM pg_proc WHERE proname = 'lockstep_reserve'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.body.trim()).toBe(RESERVE_FUNCTION_BODY.trim());
    const batch = await getDb().sql.query<{ body: string }>(`SELECT prosrc AS body FROM pg_proc WHERE proname = 'lockstep_reserve_batch'`);
    expect(batch).toHaveLength(1);
    expect(batch[0]!.body.trim()).toBe(RESERVE_BATCH_FUNCTION_BODY.trim());
  });
});
