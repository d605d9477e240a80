// Inside the Shopify admin a page needs `embedded`, `shop` and `host` to load again (a reload, a new tab);
// the one-minute `id_token` is left behind: App Bridge gives a fresh one with every request.
const EMBEDDED_PARAMS = ["embedded", "shop", "host", "locale"];

/** `url` with the embedded parameters of the current location. */
export function withEmbeddedParams(url: string, currentSearch: string): string {
  const current = new URLSearchParams(currentSearch);
  const target = new URL(url, "http://app");
  for (const name of EMBEDDED_PARAMS) {
    const value = current.get(name);
    if (value !== null && !target.searchParams.has(name)) target.searchParams.set(name, value);
  }
  return target.pathname + target.search;
}
