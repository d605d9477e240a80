/**
 * Rows per statement for big price writes and reads (a 100,000-item sale, a large import): one
 * set-based statement per ~1,000 rows, all inside the caller's transaction, so each stays far
 * below the statement timeout on PGlite and PostgreSQL alike.
 */
export const CHUNK_ROWS = 1_000;

export function chunked<T>(items: T[], size = CHUNK_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `work` on each chunk in order (one statement at a time: a transaction has one connection) and concatenates the answers. */
export async function inChunks<T, R>(items: T[], work: (chunk: T[]) => Promise<R[]>, size = CHUNK_ROWS): Promise<R[]> {
  const out: R[] = [];
  for (const chunk of chunked(items, size)) out.push(...(await work(chunk)));
  return out;
}
