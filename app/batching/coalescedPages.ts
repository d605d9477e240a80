import type { SqlRunner } from "../db/database.server";
import { coalescedPageEnd } from "./sql/coalescedPageEnd";
import { coalesceChanges } from "./sql/coalesceChanges";
import type { ItemRow } from "./sql/itemColumns";
import type { ItemKind } from "./types";

const FIRST_VARIANT = "00000000-0000-0000-0000-000000000000";

/** Pages a files run reads at once. A page's query is mostly the server's work, so two overlap. */
export const PAGES_IN_FLIGHT = 2;

/**
 * A change range's coalesced items of one kind, in variant order, `limit` at most per page, with
 * `inFlight` pages read at once: each page's bounds come first from the cheap key query
 * (`coalescedPageEnd`), so the next pages need not wait for this one's rows, and the next page is
 * started before this one is handed on, so the database reads `inFlight` pages while the caller
 * writes one. Empty pages (every item of the bounds changed only after the range) are not yielded.
 * The pages are cut by the keys, not by what the page holds, so only files kinds read this way: an
 * HTTP kind's resume must cut its chunks (their idempotency keys) exactly as the attempt before did.
 */
export async function* coalescedPages(
  sql: SqlRunner,
  range: { shopId: string; kind: ItemKind; from: string; to: string; priceList?: string },
  limit: number,
  inFlight = PAGES_IN_FLIGHT,
): AsyncGenerator<ItemRow[]> {
  let after: string | null = FIRST_VARIANT;
  const reading: Array<Promise<ItemRow[]>> = [];
  // Starts pages until `inFlight` are read at once or the range's keys are done; one filling at a time.
  let filling: Promise<void> = Promise.resolve();
  const fill = () => {
    filling = filling.then(async () => {
      while (after !== null && reading.length < inFlight) {
        const end = await coalescedPageEnd(sql, range, after, limit);
        const page = coalesceChanges(sql, range, after, limit, end ?? undefined);
        // Awaited in turn below; a page failing while an earlier one is awaited must not be an unhandled rejection.
        page.catch(() => undefined);
        reading.push(page);
        after = end;
      }
    });
    // Awaited by the next turn; if the caller stops first, its failure must not be an unhandled rejection either.
    filling.catch(() => undefined);
    return filling;
  };
  for (;;) {
    await fill();
    const page = reading.shift();
    if (page === undefined) return;
    // The next page's read starts now, not when the caller asks for it after writing this one.
    void fill();
    const rows = await page;
    if (rows.length > 0) yield rows;
  }
}
