import { afterAll, beforeAll } from "vitest";
import { createLimiterRegistry, type LimiterRegistry, type LimiterRegistryOptions } from "../../app/outbound/limiterRegistry.server";
import { type BigCommerceSimulator, startBigCommerceSimulator } from "../../simulators/bigcommerce/server";
import { type ShopifySimulator, startShopifySimulator } from "../../simulators/shopify/server";

/** What a test file talking to a simulator opens: limiter registries and clients, closed after it. */
function useSimulator<Sim extends { close(): Promise<void> }>(start: () => Promise<Sim>) {
  let sim: Sim | undefined;
  const registries: LimiterRegistry[] = [];
  const clients: { close(): void }[] = [];
  beforeAll(async () => {
    sim = await start();
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(registries.map((registry) => registry.close()));
    await sim?.close();
  });
  return {
    sim: (): Sim => {
      if (!sim) throw new Error("the simulator starts in beforeAll");
      return sim;
    },
    /** A limiter registry closed when the file ends. */
    registry: (options?: LimiterRegistryOptions): LimiterRegistry => {
      const registry = createLimiterRegistry(options);
      registries.push(registry);
      return registry;
    },
    /** A client closed when the file ends. */
    track: <Client extends { close(): void }>(client: Client): Client => {
      clients.push(client);
      return client;
    },
  };
}

export const useShopifySimulator = () => useSimulator<ShopifySimulator>(() => startShopifySimulator());
export const useBigCommerceSimulator = () => useSimulator<BigCommerceSimulator>(() => startBigCommerceSimulator());
