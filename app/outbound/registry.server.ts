import { type Config } from "../config/config.server";
import { processMetrics } from "../observability/metrics";
import { type LimiterRegistry, createLimiterRegistry } from "./limiterRegistry";
import { OutboundMetrics } from "./metrics";

const slot = globalThis as { __lockstepOutbound?: LimiterRegistry };

/**
 * The limiter registry of this process, made once: in process by default, shared through Redis
 * with every process of the deployment when REDIS_URL is set. It lives on globalThis because the
 * Remix build carries its own copy of the app's modules.
 */
export function outboundRegistry(config: Pick<Config, "redisUrl" | "outbound">): LimiterRegistry {
  slot.__lockstepOutbound ??= createLimiterRegistry({
    redisUrl: config.redisUrl,
    prefix: config.outbound.limiterPrefix,
    metrics: new OutboundMetrics(processMetrics().outbound.queueWait),
  });
  return slot.__lockstepOutbound;
}

/** For the shutdown handler: stops limiter timers and closes the Redis connection. */
export async function closeOutboundRegistry(): Promise<void> {
  const registry = slot.__lockstepOutbound;
  slot.__lockstepOutbound = undefined;
  await registry?.close();
}
