import { timingSafeEqual, createHash } from "node:crypto";
import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import type { Router } from "../http/router.server";
import { deploymentMetricsText, watchProcessSources } from "./processMetrics.server";

/** `GET /metrics` in Prometheus' format; asks for `Authorization: Bearer $METRICS_TOKEN` when one is set. */
export function registerMetricsRoute(router: Router, context: AppContext): void {
  watchProcessSources(context);
  router.on("GET", "/metrics", async ({ req, res }) => {
    requireMetricsToken(context.config.metricsToken, req.headers.authorization);
    const body = await deploymentMetricsText(context, context.metrics);
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" });
    res.end(body);
  });
}

export function requireMetricsToken(expected: string | undefined, authorization: string | undefined): void {
  if (!expected) return;
  const given = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? "";
  const digest = (value: string) => createHash("sha256").update(value).digest();
  if (!timingSafeEqual(digest(given), digest(expected))) {
    throw new LockstepError("invalid_token", "Send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`");
  }
}
