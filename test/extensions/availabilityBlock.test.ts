import { readFileSync } from "node:fs";
import { join } from "node:path";
import { check } from "@shopify/theme-check-node";
import { Window } from "happy-dom";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../helpers/expectations";

const BLOCK_DIR = join(import.meta.dirname, "..", "..", "extensions", "availability-block");
const script = readFileSync(join(BLOCK_DIR, "assets", "availability.js"), "utf8");
const liquid = readFileSync(join(BLOCK_DIR, "blocks", "availability.liquid"), "utf8");
const locale = JSON.parse(readFileSync(join(BLOCK_DIR, "locales", "en.default.json"), "utf8")) as { availability: Record<string, string> };
const messages = locale.availability;

interface ProxyCall {
  url: string;
  answer(status: number, body?: unknown): void;
  fail(): void;
}

/** The app proxy as the page sees it: the test answers each request by hand. */
function manualProxy() {
  const calls: ProxyCall[] = [];
  const fetch = (url: string) =>
    new Promise((resolve, reject) => {
      calls.push({
        url,
        answer: (status, body) => resolve({ ok: status >= 200 && status < 300, status, json: async () => body }),
        fail: () => reject(new TypeError("Failed to fetch")),
      });
    });
  return { calls, fetch };
}

const windows: Window[] = [];
afterEach(async () => {
  await Promise.all(windows.splice(0).map((window) => window.happyDOM.close()));
});

/** A product page with the block as Shopify renders it (two variants, the first selected), and the script loaded. */
function productPage(options: { url?: string; lowStockThreshold?: number; showCount?: boolean; proxyPath?: string; refreshSeconds?: number } = {}) {
  const window = new Window({ url: options.url ?? "https://demo-shop.myshopify.com/products/merino-tee" });
  windows.push(window);
  const proxy = manualProxy();
  (window as unknown as { fetch: unknown }).fetch = proxy.fetch;
  // Timers the test fires by hand.
  const intervals: Array<{ run: () => void; ms: number }> = [];
  (window as unknown as { setInterval: unknown }).setInterval = (handler: (...args: unknown[]) => void, ms: number, ...args: unknown[]) => {
    intervals.push({ run: () => handler(...args), ms });
    return intervals.length;
  };
  const attributes = Object.entries({
    "data-proxy-path": options.proxyPath ?? "/apps/lockstep",
    "data-low-stock-threshold": String(options.lowStockThreshold ?? 5),
    "data-show-count": String(options.showCount ?? true),
    "data-refresh-seconds": String(options.refreshSeconds ?? 0),
    "data-variant-id": "101",
    "data-message-loading": messages.loading,
    "data-message-in-stock": messages.in_stock,
    "data-message-low-stock": messages.low_stock,
    "data-message-low-stock-no-count": messages.low_stock_no_count,
    "data-message-limited": messages.limited,
    "data-message-sold-out": messages.sold_out,
    "data-message-unavailable-now": messages.unavailable_now,
    "data-message-error": messages.error,
    "data-message-preorder": messages.preorder,
    "data-message-preorder-by": messages.preorder_by,
    "data-message-backorder": messages.backorder,
    "data-message-backorder-by": messages.backorder_by,
  }).map(([name, value]) => `${name}="${value}"`).join(" ");
  window.document.body.innerHTML = `
    <form action="/cart/add" method="post">
      <select name="id"><option value="101" selected>Blue / M</option><option value="102">Red / S</option><option value="103">Sample</option></select>
    </form>
    <div class="lockstep-availability" data-lockstep-availability data-state="loading" ${attributes}>
      <script type="application/json" data-lockstep-variants>{"101": "TEE-BLUE-M", "102": "TEE-RED/S", "103": null}</script>
      <span class="lockstep-availability__dot" aria-hidden="true"></span>
      <span class="lockstep-availability__text" data-lockstep-text role="status" aria-live="polite">${messages.loading}</span>
    </div>`;
  new window.Function("window", script)(window);
  const block = window.document.querySelector("[data-lockstep-availability]") as unknown as HTMLElement;
  return {
    window,
    proxy,
    intervals,
    block,
    state: () => block.dataset.state,
    text: () => block.querySelector("[data-lockstep-text]")!.textContent,
    lastCall: () => proxy.calls[proxy.calls.length - 1]!,
  };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits for `condition`, polling, for at most five seconds. */
const item = (sku: string, available: number, stale = false) => ({ items: [{ sku, available, updatedAt: "2026-11-27T02:00:00.000Z", stale }] });

describe("the Live availability theme block", () => {
  it("asks the app proxy for the selected variant's SKU and shows in stock", async () => {
    const page = productPage();
    expect(page.proxy.calls.map((call) => call.url)).toEqual(["/apps/lockstep/availability?sku=TEE-BLUE-M"]);
    expect(page.state()).toBe("loading");
    page.lastCall().answer(200, item("TEE-BLUE-M", 12));
    await until(() => page.state() === "in_stock");
    expect(page.text()).toBe("In stock");
    expect(page.block.hidden).toBe(false);
  });

  it("shows the count when stock is low, or only 'Low stock' when the merchant hides counts", async () => {
    const page = productPage({ lowStockThreshold: 5 });
    page.lastCall().answer(200, item("TEE-BLUE-M", 5));
    await until(() => page.state() === "low_stock");
    expect(page.text()).toBe("Only 5 left");

    const quiet = productPage({ showCount: false });
    quiet.lastCall().answer(200, item("TEE-BLUE-M", 2));
    await until(() => quiet.state() === "low_stock");
    expect(quiet.text()).toBe("Low stock");
  });

  it("says sold out at zero", async () => {
    const page = productPage();
    page.lastCall().answer(200, item("TEE-BLUE-M", 0));
    await until(() => page.state() === "sold_out");
    expect(page.text()).toBe("Sold out");
  });

  it("never shows a count for stale stock: 'Limited stock', or 'Currently unavailable' at zero", async () => {
    const page = productPage();
    page.lastCall().answer(200, item("TEE-BLUE-M", 2, true));
    await until(() => page.state() === "limited");
    expect(page.text()).toBe("Limited stock");
    expect(page.text()).not.toMatch(/\d/);

    const plenty = productPage();
    plenty.lastCall().answer(200, item("TEE-BLUE-M", 40, true));
    await until(() => plenty.state() === "limited");

    const none = productPage();
    none.lastCall().answer(200, item("TEE-BLUE-M", 0, true));
    await until(() => none.state() === "unavailable_now");
    expect(none.text()).toBe("Currently unavailable");
  });

  it("says when preorder and backorder stock ships instead of counting it", async () => {
    const page = productPage();
    page.lastCall().answer(200, { items: [{ sku: "TEE-BLUE-M", available: 40, updatedAt: null, stale: false, virtualStock: { kind: "preorder", promiseDate: "2027-01-15T00:00:00.000Z" } }] });
    await until(() => page.state() === "virtual");
    expect(page.text()).toBe("Available to preorder, ships by January 15, 2027");

    const undated = productPage();
    undated.lastCall().answer(200, { items: [{ sku: "TEE-BLUE-M", available: 2, updatedAt: null, stale: false, virtualStock: { kind: "backorder", promiseDate: null } }] });
    await until(() => undated.state() === "virtual");
    expect(undated.text()).toBe("Available on backorder");

    const gone = productPage();
    gone.lastCall().answer(200, { items: [{ sku: "TEE-BLUE-M", available: 0, updatedAt: null, stale: false, virtualStock: { kind: "preorder", promiseDate: null } }] });
    await until(() => gone.state() === "sold_out");
  });

  it("says availability can't be shown when the proxy fails, answers garbage, or the network is down", async () => {
    const failing = productPage();
    failing.lastCall().answer(502, { error: { code: "upstream", message: "Bad gateway" } });
    await until(() => failing.state() === "error");
    expect(failing.text()).toBe("Availability can't be shown right now");

    const offline = productPage();
    offline.lastCall().fail();
    await until(() => offline.state() === "error");

    const garbage = productPage();
    garbage.lastCall().answer(200, "<html>");
    await until(() => garbage.state() === "untracked");
  });

  it("hides itself for an item Lockstep does not track (unknown SKU, or a variant without SKU)", async () => {
    const page = productPage();
    page.lastCall().answer(200, { items: [] });
    await until(() => page.state() === "untracked");
    expect(page.block.hidden).toBe(true);

    const select = page.window.document.querySelector('select[name="id"]') as unknown as HTMLSelectElement;
    select.value = "103";
    select.dispatchEvent(new page.window.Event("change", { bubbles: true }) as unknown as Event);
    await until(() => page.proxy.calls.length === 1 && page.block.hidden && page.state() === "untracked");
  });

  it("refreshes when the shopper picks another variant in the product form", async () => {
    const page = productPage();
    page.lastCall().answer(200, item("TEE-BLUE-M", 12));
    await until(() => page.state() === "in_stock");
    const select = page.window.document.querySelector('select[name="id"]') as unknown as HTMLSelectElement;
    select.value = "102";
    select.dispatchEvent(new page.window.Event("change", { bubbles: true }) as unknown as Event);
    await until(() => page.proxy.calls.length === 2);
    expect(page.lastCall().url).toBe("/apps/lockstep/availability?sku=TEE-RED%2FS");
    page.lastCall().answer(200, item("TEE-RED/S", 1));
    await until(() => page.state() === "low_stock");
    expect(page.text()).toBe("Only 1 left");
  });

  it("follows a theme that announces the variant in the URL (history.replaceState) or by its own event", async () => {
    const page = productPage();
    page.window.history.replaceState({}, "", "/products/merino-tee?variant=102");
    expect(page.proxy.calls.map((call) => call.url)).toEqual(["/apps/lockstep/availability?sku=TEE-BLUE-M", "/apps/lockstep/availability?sku=TEE-RED%2FS"]);
    page.window.document.dispatchEvent(new page.window.CustomEvent("variant:update", { detail: { resource: { id: 101 } } }));
    expect(page.proxy.calls).toHaveLength(3);
    expect(page.lastCall().url).toBe("/apps/lockstep/availability?sku=TEE-BLUE-M");
  });

  it("paints only the latest answer when answers come back out of order", async () => {
    const page = productPage();
    const select = page.window.document.querySelector('select[name="id"]') as unknown as HTMLSelectElement;
    select.value = "102";
    select.dispatchEvent(new page.window.Event("change", { bubbles: true }) as unknown as Event);
    await until(() => page.proxy.calls.length === 2);
    page.proxy.calls[1]!.answer(200, item("TEE-RED/S", 0));
    await until(() => page.state() === "sold_out");
    page.proxy.calls[0]!.answer(200, item("TEE-BLUE-M", 50));
    await flush();
    await flush();
    expect(page.state()).toBe("sold_out");
  });

  it("refreshes on the merchant's cadence while the page is visible, and not at all with 0", async () => {
    const page = productPage({ refreshSeconds: 30 });
    expect(page.intervals.map((interval) => interval.ms)).toEqual([30_000]);
    page.lastCall().answer(200, item("TEE-BLUE-M", 12));
    await until(() => page.state() === "in_stock");
    page.intervals[0]!.run();
    expect(page.proxy.calls).toHaveLength(2);
    page.lastCall().answer(200, item("TEE-BLUE-M", 3));
    await until(() => page.state() === "low_stock");
    expect(page.text()).toBe("Only 3 left");

    Object.defineProperty(page.window.document, "hidden", { value: true, configurable: true });
    page.intervals[0]!.run();
    expect(page.proxy.calls).toHaveLength(2);

    expect(productPage({ refreshSeconds: 0 }).intervals).toEqual([]);
  });

  it("uses the merchant's own app proxy path", () => {
    const page = productPage({ proxyPath: "/tools/stock/" });
    expect(page.lastCall().url).toBe("/tools/stock/availability?sku=TEE-BLUE-M");
  });
});

describe("the block's Liquid, schema and translations", () => {
  const schema = JSON.parse(/{% schema %}([\s\S]*){% endschema %}/.exec(liquid)![1]!) as {
    javascript: string;
    target: string;
    settings: Array<{ type: string; id: string; default?: unknown; min?: number; max?: number; step?: number }>;
  };

  it("passes Shopify's theme check (filters, translation keys, Liquid syntax, app block rules)", async () => {
    const offenses = await check(BLOCK_DIR);
    expect(offenses.map((offense) => `${offense.check}: ${offense.message}`)).toEqual([]);
  });

  it("renders every attribute the script reads, and loads the script as the block's JavaScript", () => {
    const read = [...script.matchAll(/data\.([a-zA-Z]+)/g)].map((match) => `data-${match[1]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    expect(read.length).toBeGreaterThan(10);
    for (const attribute of new Set(read)) expect(liquid).toContain(`${attribute}=`);
    expect(schema.javascript).toBe("availability.js");
    expect(schema.target).toBe("section");
  });

  it("has settings Shopify accepts: known types, ranges of at most 101 steps with the default on a step", () => {
    const knownTypes = new Set(["product", "range", "checkbox", "text", "color"]);
    for (const setting of schema.settings) {
      expect(knownTypes.has(setting.type)).toBe(true);
      expect(liquid).toContain(`block.settings.${setting.id}`);
      if (setting.type === "range") {
        const { min, max, step, default: value } = setting as Required<typeof setting> & { default: number };
        expect((max - min) / step).toBeLessThanOrEqual(101);
        expect(value >= min && value <= max && (value - min) % step === 0).toBe(true);
      }
    }
  });
});
