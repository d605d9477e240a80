/* global window */
/*
 * Lockstep's "Live availability" block: asks Lockstep, through the shop's app proxy, how many
 * units of the selected variant can be bought, and says so. Stale numbers are never shown as a
 * count: the shopper sees "Limited stock" instead. Classic script (theme assets are not bundled);
 * it only touches the elements of its own block.
 */
(function (window) {
  "use strict";

  var document = window.document;
  var blocks = [];

  /** What to say about one item: `state` styles the block, `text` is shown. */
  function describe(item, settings, messages) {
    if (!item) return { state: "untracked", text: "" };
    var available = Math.max(0, Math.floor(Number(item.available) || 0));
    if (item.stale) {
      // A stale number is already Lockstep's conservative one: show no count, never "in stock".
      return available > 0 ? { state: "limited", text: messages.limited } : { state: "unavailable_now", text: messages.unavailableNow };
    }
    if (available === 0) return { state: "sold_out", text: messages.soldOut };
    var virtual = item.virtualStock;
    if (virtual && (virtual.kind === "preorder" || virtual.kind === "backorder")) {
      // Virtual stock is sold up to a limit and shipped later: say when, not how many.
      var date = virtual.promiseDate ? formatDate(virtual.promiseDate) : "";
      var key = virtual.kind + (date ? "By" : "");
      return { state: "virtual", text: messages[key].replace("{date}", date) };
    }
    if (available <= settings.lowStockThreshold) {
      return {
        state: "low_stock",
        text: settings.showCount ? messages.lowStock.replace("{quantity}", String(available)) : messages.lowStockNoCount,
      };
    }
    return { state: "in_stock", text: messages.inStock };
  }

  function formatDate(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    try {
      return date.toLocaleDateString(document.documentElement.lang || undefined, { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
    } catch {
      return date.toISOString().slice(0, 10);
    }
  }

  function readVariants(element) {
    var script = element.querySelector("script[data-lockstep-variants]");
    try {
      return script ? JSON.parse(script.textContent || "{}") : {};
    } catch {
      return {};
    }
  }

  function Block(element) {
    var data = element.dataset;
    this.element = element;
    this.text = element.querySelector("[data-lockstep-text]");
    this.variants = readVariants(element);
    this.variantId = data.variantId || "";
    this.settings = {
      proxyPath: (data.proxyPath || "/apps/lockstep").replace(/\/+$/, ""),
      lowStockThreshold: Number(data.lowStockThreshold) || 0,
      showCount: data.showCount !== "false",
      refreshSeconds: Number(data.refreshSeconds) || 0,
    };
    this.messages = {
      inStock: data.messageInStock || "In stock",
      lowStock: data.messageLowStock || "Only {quantity} left",
      lowStockNoCount: data.messageLowStockNoCount || "Low stock",
      limited: data.messageLimited || "Limited stock",
      soldOut: data.messageSoldOut || "Sold out",
      unavailableNow: data.messageUnavailableNow || "Currently unavailable",
      error: data.messageError || "Availability can't be shown right now",
      preorder: data.messagePreorder || "Available to preorder",
      preorderBy: data.messagePreorderBy || "Available to preorder, ships by {date}",
      backorder: data.messageBackorder || "Available on backorder",
      backorderBy: data.messageBackorderBy || "Available on backorder, ships by {date}",
    };
    // Answers can come back out of order: only the latest request may paint.
    this.sequence = 0;
  }

  Block.prototype.show = function (state, text) {
    this.element.dataset.state = state;
    this.element.hidden = state === "untracked";
    if (this.text) this.text.textContent = text;
  };

  Block.prototype.selectVariant = function (variantId) {
    if (!variantId || String(variantId) === this.variantId || !(String(variantId) in this.variants)) return null;
    this.variantId = String(variantId);
    return this.refresh();
  };

  Block.prototype.refresh = function () {
    var sku = this.variants[this.variantId];
    var sequence = ++this.sequence;
    var latest = () => sequence === this.sequence;
    if (!sku) {
      this.show("untracked", "");
      return Promise.resolve();
    }
    var url = this.settings.proxyPath + "/availability?sku=" + encodeURIComponent(sku);
    return window
      .fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error("Lockstep answered " + response.status);
        return response.json();
      })
      .then((body) => {
        if (!latest()) return;
        var items = body && Array.isArray(body.items) ? body.items : [];
        var item = items.filter((candidate) => candidate && candidate.sku === sku)[0];
        var said = describe(item, this.settings, this.messages);
        this.show(said.state, said.text);
      })
      .catch(() => {
        if (latest()) this.show("error", this.messages.error);
      });
  };

  /**
   * The variant the page shows now. A change inside a product form is read from the form's `id`
   * (simple themes update it at once); a history change from the URL's `variant`.
   */
  function currentVariantId(form) {
    var input = form && form.querySelector('[name="id"]');
    if (input && input.value) return input.value;
    return new window.URL(window.location.href).searchParams.get("variant");
  }

  function followVariant(event) {
    var target = event && event.target;
    var detail = event && event.detail;
    var fromEvent = detail && ((detail.variant && detail.variant.id) || (detail.resource && detail.resource.id));
    var form = target && target.closest ? target.closest('form[action*="/cart/add"]') : null;
    var variantId = fromEvent || currentVariantId(form);
    return Promise.all(blocks.map(function (block) { return block.selectVariant(variantId); }));
  }

  function refreshAll() {
    return Promise.all(blocks.map(function (block) { return block.refresh(); }));
  }

  function start() {
    var elements = document.querySelectorAll("[data-lockstep-availability]");
    for (var i = 0; i < elements.length; i++) {
      if (elements[i].lockstepAvailability) continue;
      var block = new Block(elements[i]);
      elements[i].lockstepAvailability = block;
      blocks.push(block);
      block.refresh();
      if (block.settings.refreshSeconds > 0) {
        window.setInterval(function (b) { if (!document.hidden) b.refresh(); }, block.settings.refreshSeconds * 1000, block);
      }
    }
  }

  if (!window.LockstepAvailability) {
    // Themes announce a new variant in different ways: a change in the product form, their own
    // events, or a new `?variant=` in the URL (Dawn and most themes use history.replaceState).
    document.addEventListener("change", function (event) { window.setTimeout(function () { followVariant(event); }, 0); });
    ["variant:change", "variant:update", "variant:changed"].forEach(function (name) { document.addEventListener(name, followVariant); });
    window.addEventListener("popstate", function () { followVariant(null); });
    ["replaceState", "pushState"].forEach(function (method) {
      var original = window.history[method];
      window.history[method] = function () {
        var result = original.apply(this, arguments);
        followVariant(null);
        return result;
      };
    });
    window.LockstepAvailability = { start: start, refreshAll: refreshAll, followVariant: followVariant, describe: describe };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(window);
