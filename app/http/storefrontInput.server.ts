import { z } from "zod";
import { type ErrorCode, LockstepError } from "../config/errors";
import { MAX_PAGE_SIZE } from "../availability/availability.server";
import { MAX_RESERVATION_TTL_SECONDS } from "../inventory/policy";
import { MAX_KEY_LENGTH, MAX_LINES, MAX_QUANTITY } from "../reservations/reservations.server";

/**
 * The one place the storefront edges (`/api/v1/*`, `/proxy/*`) check what a request carries before
 * anything reaches the database: text without control characters, whole numbers in range. A
 * refusal is a 400 naming the field; nothing is read or written.
 */

/** C0 and C1 control characters (NUL included, which PostgreSQL refuses in text) and lone surrogates. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/u;
const TEXT_LENGTH = 255;

const text = (maxLength = TEXT_LENGTH, minLength = 1) =>
  z
    .string()
    .min(minLength)
    .max(maxLength)
    .refine((value) => !CONTROL_CHARACTERS.test(value), { params: { controlCharacters: true } });

const wholeNumber = (min: number, max: number) => z.number().int().min(min).max(max);

/** What each field is called in an error, with its code: the codes the API has always answered. */
const FIELDS: Record<string, { code: ErrorCode; message: string }> = {
  key: { code: "invalid_key", message: `key must be a non-empty string of at most ${MAX_KEY_LENGTH} characters (cart token, checkout or payment intent id)` },
  lines: { code: "invalid_lines", message: `lines must hold 1 to ${MAX_LINES} lines of {sku, quantity}` },
  sku: { code: "invalid_lines", message: `every line needs a sku: a non-empty string of at most ${TEXT_LENGTH} characters` },
  quantity: { code: "invalid_lines", message: `quantity must be a whole number from 1 to ${MAX_QUANTITY}` },
  ttlSeconds: { code: "invalid_ttl", message: `ttlSeconds must be a whole number from 1 to ${MAX_RESERVATION_TTL_SECONDS}` },
  limit: { code: "invalid_limit", message: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` },
  cursor: { code: "invalid_cursor", message: "cursor is not one this API returned" },
  location: { code: "invalid_location", message: `location must be a non-empty string of at most ${TEXT_LENGTH} characters` },
  logged_in_customer_id: { code: "invalid_customer", message: "logged_in_customer_id must be a customer id" },
  list: { code: "invalid_list", message: `list must be a price list name: a non-empty string of at most ${TEXT_LENGTH} characters` },
  at: { code: "invalid_at", message: "at must be an ISO 8601 instant with its time zone, e.g. 2026-12-01T00:00:00.000Z" },
};
const ANY_FIELD: { code: ErrorCode; message: string } = { code: "invalid_input", message: `must be a non-empty string of at most ${TEXT_LENGTH} characters` };

const reserveBody = z.object({
  key: text(MAX_KEY_LENGTH).refine((key) => key.trim().length > 0),
  lines: z.array(z.object({ sku: text(), quantity: wholeNumber(1, MAX_QUANTITY) })).min(1).max(MAX_LINES),
  ttlSeconds: wholeNumber(1, MAX_RESERVATION_TTL_SECONDS).nullish(),
  location: text().nullish(),
});

const actionBody = z.object({
  ttlSeconds: wholeNumber(1, MAX_RESERVATION_TTL_SECONDS).nullish(),
  reason: text().nullish(),
  orderId: text().nullish(),
});

/** A cursor is the base64url of the last SKU of a page: the SKU inside must be text too. */
const cursor = text().refine((value) => !CONTROL_CHARACTERS.test(Buffer.from(value, "base64url").toString("utf8")), { params: { controlCharacters: true } });

const availabilityQuery = z.object({
  sku: z.array(text()).max(MAX_PAGE_SIZE),
  location: text().optional(),
  limit: z.coerce.number().pipe(wholeNumber(1, MAX_PAGE_SIZE)).optional(),
  cursor: cursor.optional(),
});

/** An instant with its zone: a local time would mean a different millisecond on every server. */
const instant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/).refine(isCalendarDate).transform((value) => new Date(value));

/** 2026-02-31 is not a day (Date would roll it over to March). */
function isCalendarDate(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split("-").map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day && !Number.isNaN(Date.parse(value));
}

const pricesQuery = z.object({
  sku: z.array(text()).min(1).max(MAX_PAGE_SIZE),
  list: text().optional(),
  at: instant.optional(),
});

/** Everything Shopify adds to an app proxy request, and whatever the storefront sent along: text, all of it. */
const proxyQuery = z.record(z.string(), text(2048, 0)).and(z.object({ logged_in_customer_id: z.string().regex(/^\d*$/).optional() }));

export type ReserveBody = z.infer<typeof reserveBody>;
export type ActionBody = z.infer<typeof actionBody>;
export type AvailabilityQuery = z.infer<typeof availabilityQuery>;
export type PricesQuery = z.infer<typeof pricesQuery>;

export function parseReserveBody(body: Record<string, unknown>): ReserveBody {
  return parse(reserveBody, body);
}

export function parseActionBody(body: Record<string, unknown>): ActionBody {
  return parse(actionBody, body);
}

export function parseAvailabilityQuery(params: URLSearchParams): AvailabilityQuery {
  const skus = params.getAll("sku").flatMap((value) => value.split(",")).filter((sku) => sku.length > 0);
  if (skus.length > MAX_PAGE_SIZE) throw new LockstepError("too_many_skus", `Ask for at most ${MAX_PAGE_SIZE} SKUs at once`);
  const location = params.get("location") ?? undefined;
  const limit = params.get("limit") ?? undefined;
  const cursor = params.get("cursor") ?? undefined;
  // The storefront's usual question, SKUs of plain text and nothing else, is what the schema would
  // accept as it is: checked by hand (the schema cost more than the rest of a cached answer).
  // Anything else goes through the schema, which words every refusal.
  if (location === undefined && limit === undefined && cursor === undefined && skus.every(isPlainText)) return { sku: skus };
  return parse(availabilityQuery, { sku: skus, location, limit, cursor });
}

/** What `text()` accepts, for a value already known to be non-empty. */
function isPlainText(value: string): boolean {
  return value.length <= TEXT_LENGTH && !CONTROL_CHARACTERS.test(value);
}

/** `/api/v1/prices` and `/proxy/prices`: one or more `sku` (repeated or comma-separated), `list`, `at`. */
export function parsePricesQuery(params: URLSearchParams): PricesQuery {
  const skus = params.getAll("sku").flatMap((value) => value.split(",")).filter((sku) => sku.length > 0);
  if (skus.length === 0) throw new LockstepError("missing_sku", "Ask for at least one sku (?sku=A&sku=B or ?sku=A,B)", { field: "sku" });
  if (skus.length > MAX_PAGE_SIZE) throw new LockstepError("too_many_skus", `Ask for at most ${MAX_PAGE_SIZE} SKUs at once`);
  return parse(pricesQuery, { sku: skus, list: params.get("list") ?? undefined, at: params.get("at") ?? undefined });
}

/** An app proxy request's query, after its signature: one value per name is all Lockstep reads. */
export function parseProxyQuery(params: URLSearchParams): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of params) values[name] = name in values ? `${values[name]},${value}` : value;
  return parse(proxyQuery, values);
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join(".") || "body";
  const name = [...issue.path].reverse().find((segment): segment is string => typeof segment === "string") ?? "";
  if (issue.code === "custom" && issue.params?.controlCharacters) {
    throw new LockstepError("invalid_text", `${field} must not contain control characters (NUL, line breaks, escapes)`, { field });
  }
  const known = FIELDS[name];
  throw new LockstepError(known?.code ?? ANY_FIELD.code, known?.message ?? `${field} ${ANY_FIELD.message}`, { field });
}
