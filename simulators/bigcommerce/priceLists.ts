// BigCommerce's Price Lists API (/v3/pricelists) for one simulated store, in the shapes of
// price_lists.v3.yml: price lists (list, create, get) and their records (list, batch upsert).
// Batch upserts are limited as BigCommerce documents them: at most 1,000 records a request and
// 2 at once per store (a third answers 429); a record that does not validate is reported in
// `batch_errors` (422) while the valid ones of the request are applied, as its non-strict mode does.

export interface SimulatedPriceList {
  id: number;
  name: string;
  active: boolean;
  date_created: string;
  date_modified: string;
}

export interface SimulatedPriceRecord {
  price_list_id: number;
  variant_id: number;
  product_id: number;
  sku: string;
  /** Lower case, as BigCommerce stores it (`usd`). */
  currency: string;
  price: number;
  sale_price?: number;
  retail_price?: number;
  map_price?: number;
  calculated_price: number;
  date_created: string;
  date_modified: string;
}

/** What the price lists need of the store's catalog. */
export interface PriceListCatalog {
  variant(id: number): { id: number; product_id: number; sku: string } | undefined;
  variantBySku(sku: string): { id: number; product_id: number; sku: string } | undefined;
  nowIso(): string;
}

type Answer = { status: number; body: unknown };
const PROBLEM_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";
const MAX_RECORDS = 1_000;
const MAX_CONCURRENT_UPSERTS = 2;
const OPTIONAL_PRICES = ["sale_price", "retail_price", "map_price"] as const;

export class SimulatedPriceLists {
  readonly lists = new Map<number, SimulatedPriceList>();
  /** `${priceListId}:${variantId}:${currency}` → record */
  readonly records = new Map<string, SimulatedPriceRecord>();
  /** Batch upserts answered 429 because two were already running. */
  concurrentUpsertsRefused = 0;
  /** Batch upserts being worked on now, and the most there were at once. */
  upsertsRunning = 0;
  mostUpsertsAtOnce = 0;
  /** How long BigCommerce works on a batch upsert (0: answered as soon as read). */
  upsertMs = 0;
  /** While set, batch upserts wait for it before they are applied (tests hold them running). */
  upsertGate: Promise<void> | undefined;
  private nextId = 0;

  constructor(private readonly catalog: PriceListCatalog) {}

  /** A price list as the merchant makes one in the control panel. */
  add(name: string, active = true): SimulatedPriceList {
    const now = this.catalog.nowIso();
    const list = { id: ++this.nextId, name, active, date_created: now, date_modified: now };
    this.lists.set(list.id, list);
    return list;
  }

  /** The record of a variant in a currency on a list, if any. */
  record(priceListId: number, variantId: number, currency = "usd"): SimulatedPriceRecord | undefined {
    return this.records.get(`${priceListId}:${variantId}:${currency.toLowerCase()}`);
  }

  /** Answers a /v3/pricelists request, or undefined when the path is not a price lists path. */
  handle(method: string, path: string, query: URLSearchParams, readJson: () => Promise<unknown>): Promise<Answer> | undefined {
    const match = /^\/v3\/pricelists(?:\/([^/]+)(\/records)?)?$/.exec(path);
    if (!match) return undefined;
    return this.route(method, match[1], match[2] !== undefined, query, readJson);
  }

  private async route(method: string, id: string | undefined, records: boolean, query: URLSearchParams, readJson: () => Promise<unknown>): Promise<Answer> {
    if (id === undefined) {
      if (method === "GET") return { status: 200, body: paged([...this.lists.values()].filter((list) => matchesListQuery(list, query)), query) };
      if (method === "POST") return this.create(await readJsonOr400(readJson));
      return problem(405, "Method Not Allowed");
    }
    const list = /^\d+$/.test(id) ? this.lists.get(Number(id)) : undefined;
    if (!list) return problem(404, "Price List not found");
    if (!records) return method === "GET" ? { status: 200, body: { data: list, meta: {} } } : problem(405, "Method Not Allowed");
    if (method === "GET") {
      const variantIds = query.get("variant_id:in")?.split(",").map(Number);
      const currency = query.get("currency")?.toLowerCase();
      const found = [...this.records.values()].filter(
        (record) => record.price_list_id === list.id && (!variantIds || variantIds.includes(record.variant_id)) && (!currency || record.currency === currency),
      );
      return { status: 200, body: paged(found, query) };
    }
    if (method === "PUT") {
      if (this.upsertsRunning >= MAX_CONCURRENT_UPSERTS) {
        this.concurrentUpsertsRefused++;
        return { status: 429, body: { status: 429, title: "Too many requests", type: PROBLEM_TYPE, errors: {} } };
      }
      this.upsertsRunning++;
      this.mostUpsertsAtOnce = Math.max(this.mostUpsertsAtOnce, this.upsertsRunning);
      try {
        const input = await readJsonOr400(readJson);
        if (this.upsertMs > 0) await new Promise((resolve) => setTimeout(resolve, this.upsertMs));
        await this.upsertGate;
        return this.upsert(list, input);
      } finally {
        this.upsertsRunning--;
      }
    }
    return problem(405, "Method Not Allowed");
  }

  private create(input: unknown): Answer {
    if (isAnswer(input)) return input;
    const body = (input ?? {}) as { name?: unknown; active?: unknown };
    if (typeof body.name !== "string" || body.name.trim() === "") return problem(422, "Price List is not valid", { name: "name is required" });
    if (body.active !== undefined && typeof body.active !== "boolean") return problem(422, "Price List is not valid", { active: "active must be a boolean" });
    if ([...this.lists.values()].some((list) => list.name === body.name)) return problem(409, "Price List conflicts with another Price List", { name: `A Price List named "${body.name}" already exists` });
    return { status: 200, body: { data: this.add(body.name, body.active !== false), meta: {} } };
  }

  private upsert(list: SimulatedPriceList, input: unknown): Answer {
    if (isAnswer(input)) return input;
    if (!Array.isArray(input)) return problem(422, "The request body must be an array of price records");
    if (input.length === 0) return problem(422, "Send at least one price record");
    if (input.length > MAX_RECORDS) return problem(422, `Batch requests support up to ${MAX_RECORDS} items per request`);
    const batchErrors: Array<{ data: Record<string, unknown>; field_errors: Record<string, string> }> = [];
    const now = this.catalog.nowIso();
    for (const raw of input as Array<Record<string, unknown>>) {
      const item = raw !== null && typeof raw === "object" ? raw : {};
      const errors: Record<string, string> = {};
      const variant =
        typeof item.variant_id === "number" ? this.catalog.variant(item.variant_id) : typeof item.sku === "string" ? this.catalog.variantBySku(item.sku) : undefined;
      if (item.variant_id === undefined && item.sku === undefined) errors.variant_id = "Either variant_id or sku is required";
      else if (!variant) errors[item.variant_id !== undefined ? "variant_id" : "sku"] = `Variant ${String(item.variant_id ?? item.sku)} does not exist`;
      if (typeof item.currency !== "string" || !/^[A-Za-z]{3}$/.test(item.currency)) errors.currency = "currency is required: a 3-letter ISO-4217 code";
      if (typeof item.price !== "number" || !Number.isFinite(item.price) || item.price < 0) errors.price = "price is required: a number not below 0";
      for (const field of OPTIONAL_PRICES) {
        if (item[field] !== undefined && (typeof item[field] !== "number" || (item[field] as number) < 0)) errors[field] = `${field} must be a number not below 0`;
      }
      if (Object.keys(errors).length > 0 || !variant) {
        batchErrors.push({
          data: { price_list_id: list.id, ...(typeof item.variant_id === "number" && { variant_id: item.variant_id }), ...(typeof item.sku === "string" && { sku: item.sku }), ...(typeof item.currency === "string" && { currency: item.currency }) },
          field_errors: errors,
        });
        continue;
      }
      const currency = (item.currency as string).toLowerCase();
      const key = `${list.id}:${variant.id}:${currency}`;
      const previous = this.records.get(key);
      const record: SimulatedPriceRecord = {
        price_list_id: list.id,
        variant_id: variant.id,
        product_id: variant.product_id,
        sku: variant.sku,
        currency,
        price: item.price as number,
        calculated_price: (item.sale_price as number | undefined) ?? (item.price as number),
        date_created: previous?.date_created ?? now,
        date_modified: now,
      };
      for (const field of OPTIONAL_PRICES) if (typeof item[field] === "number") record[field] = item[field] as number;
      this.records.set(key, record);
    }
    if (batchErrors.length > 0) return { status: 422, body: { batch_errors: batchErrors } };
    return { status: 200, body: { data: {}, meta: {} } };
  }
}

function problem(status: number, title: string, errors: Record<string, string> = {}): Answer {
  return { status, body: { status, title, type: PROBLEM_TYPE, errors } };
}

function isAnswer(value: unknown): value is Answer {
  return value instanceof BadJson;
}

class BadJson implements Answer {
  readonly status = 400;
  readonly body = { status: 400, title: "The request body is not valid JSON.", type: PROBLEM_TYPE, errors: {} };
}

async function readJsonOr400(readJson: () => Promise<unknown>): Promise<unknown> {
  try {
    return await readJson();
  } catch {
    return new BadJson();
  }
}

function matchesListQuery(list: SimulatedPriceList, query: URLSearchParams): boolean {
  const ids = query.get("id:in")?.split(",").map(Number);
  const name = query.get("name");
  return (!ids || ids.includes(list.id)) && (!name || list.name === name);
}

function paged<T>(items: T[], query: URLSearchParams) {
  const limit = Math.min(Math.max(1, Number(query.get("limit") ?? 50) || 50), 1000);
  const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
  const data = items.slice((page - 1) * limit, page * limit);
  return { data, meta: { pagination: { total: items.length, count: data.length, per_page: limit, current_page: page, total_pages: Math.max(1, Math.ceil(items.length / limit)) } } };
}
