// BigCommerce's webhook management API (/v3/hooks) for one simulated store, in the shapes of
// webhooks.v3.yml: create, list (filterable by scope and destination), update.

export interface SimulatedHook {
  id: number;
  client_id: string;
  store_hash: string;
  scope: string;
  destination: string;
  headers: Record<string, string> | null;
  is_active: boolean;
  events_history_enabled: boolean;
  created_at: number;
  updated_at: number;
}

export class SimulatedHooks {
  readonly hooks = new Map<number, SimulatedHook>();
  private nextId = 26_000_000;

  constructor(private readonly storeHash: string) {}

  /** Answers a /v3/hooks request, or undefined when the path is not a hooks path. */
  handle(method: string, path: string, query: URLSearchParams, body: () => Promise<Record<string, unknown>>): Promise<{ status: number; body: unknown }> | undefined {
    const match = /^\/v3\/hooks(?:\/(\d+))?$/.exec(path);
    if (!match) return undefined;
    return this.route(method, match[1] ? Number(match[1]) : undefined, query, body);
  }

  private async route(method: string, id: number | undefined, query: URLSearchParams, body: () => Promise<Record<string, unknown>>) {
    const now = Math.floor(Date.now() / 1000);
    if (method === "GET" && id === undefined) {
      const hooks = [...this.hooks.values()].filter(
        (hook) => (!query.get("scope") || hook.scope === query.get("scope")) && (!query.get("destination") || hook.destination === query.get("destination")),
      );
      return { status: 200, body: { data: hooks, meta: { pagination: { total: hooks.length, count: hooks.length, per_page: hooks.length, current_page: 1, total_pages: 1 } } } };
    }
    if (method === "POST" && id === undefined) {
      const input = await body();
      if (typeof input.scope !== "string" || typeof input.destination !== "string") return { status: 422, body: { status: 422, title: "scope and destination are required" } };
      const hook: SimulatedHook = {
        id: ++this.nextId,
        client_id: "simulated-client",
        store_hash: this.storeHash,
        scope: input.scope,
        destination: input.destination,
        headers: (input.headers as Record<string, string> | undefined) ?? null,
        is_active: input.is_active !== false,
        events_history_enabled: input.events_history_enabled === true,
        created_at: now,
        updated_at: now,
      };
      this.hooks.set(hook.id, hook);
      return { status: 200, body: { data: hook, meta: {} } };
    }
    const hook = id === undefined ? undefined : this.hooks.get(id);
    if (!hook) return { status: 404, body: { status: 404, title: "Webhook not found" } };
    if (method === "GET") return { status: 200, body: { data: hook, meta: {} } };
    if (method === "PUT") {
      const input = await body();
      Object.assign(hook, {
        ...(typeof input.destination === "string" && { destination: input.destination }),
        ...(typeof input.is_active === "boolean" && { is_active: input.is_active }),
        ...(input.headers !== undefined && { headers: input.headers as Record<string, string> }),
        updated_at: now,
      });
      return { status: 200, body: { data: hook, meta: {} } };
    }
    if (method === "DELETE") {
      this.hooks.delete(hook.id);
      return { status: 200, body: { data: hook, meta: {} } };
    }
    return { status: 405, body: { status: 405, title: "Method not allowed" } };
  }
}
