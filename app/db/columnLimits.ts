/** What PostgreSQL columns accept: input beyond these is refused at the edge (400) instead of failing the statement (500). */

/** The largest value of an `Int` (int4) column. */
export const MAX_INT = 2_147_483_647;

const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** Whether `text` is a whole number that fits a `bigint` column (inbox ids arrive as text). */
export function isBigintId(text: string): boolean {
  return /^\d{1,19}$/.test(text) && BigInt(text) <= MAX_BIGINT;
}

/**
 * Whether `text` holds control characters other than tab and line breaks: PostgreSQL refuses NUL
 * in text, and none of the others belongs in a name, a filter or a reason.
 */
export function hasControlCharacters(text: string): boolean {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text);
}
