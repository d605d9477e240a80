import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../app/config/config.server";
import { createProcessMetrics } from "../../app/observability/metrics.server";
import { deploymentMetricsText, publishOnce } from "../../app/observability/processMetrics.server";
import { withdrawProcessMetrics } from "../../app/observability/sql/publishProcessMetrics";
import { OutboundMetrics } from "../../app/outbound/metrics.server";
import { histogramSeries, parsePrometheus, sampleValue } from "../helpers/prometheus";
import { STANDALONE_ENV, useTestServer } from "../helpers/server";

const open = useTestServer({ build: false });
const guarded = useTestServer({ build: false, env: { ...STANDALONE_ENV, METRICS_TOKEN: "metrics-token-0123456789" } });
const database = () => open().context.db;
const config = loadConfig({ ...STANDALONE_ENV, LOCKSTEP_METRICS_PUBLISH_SECONDS: "10" });

describe("GET /metrics", () => {
  it("serves Prometheus text a parser reads: process defaults, webhook, inbox, outbound and reservation series", async () => {
    const response = await fetch(`${open().url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheus(await response.text());
    expect(families.get("process_resident_memory_bytes")?.type).toBe("GAUGE");
    expect(families.get("nodejs_eventloop_lag_seconds")?.type).toBe("GAUGE");
    expect(families.get("lockstep_webhook_stage_seconds")?.type).toBe("HISTOGRAM");
    expect(families.get("lockstep_sync_latency_seconds")?.type).toBe("HISTOGRAM");
    expect(families.get("lockstep_outbound_requests_total")?.type).toBe("COUNTER");
    expect(sampleValue(families, "lockstep_inbox_unprocessed")).toBe(0);
    expect(sampleValue(families, "lockstep_database_up")).toBe(1);
    expect(sampleValue(families, "lockstep_order_fanout_waiting")).toBe(0);
    expect(sampleValue(families, "lockstep_order_fanout_oldest_age_seconds")).toBe(0);
    expect(sampleValue(families, "lockstep_order_fanout_dead_letters")).toBe(0);
    expect(sampleValue(families, "lockstep_reservation_batches_total")).toBeGreaterThanOrEqual(0);
    expect(sampleValue(families, "lockstep_reservation_reruns_total", { reason: "stock_moved" })).toBeGreaterThanOrEqual(0);
    expect(sampleValue(families, "lockstep_reservation_dropped_total", { reason: "caller_gone" })).toBeGreaterThanOrEqual(0);
  });

  it("asks for the metrics token when one is configured", async () => {
    expect((await fetch(`${guarded().url}/metrics`)).status).toBe(401);
    expect((await fetch(`${guarded().url}/metrics`, { headers: { authorization: "Bearer wrong-token-xxxxxxxxx" } })).status).toBe(401);
    const response = await fetch(`${guarded().url}/metrics`, { headers: { authorization: "Bearer metrics-token-0123456789" } });
    expect(response.status).toBe(200);
  });
});

describe("figures from every process", () => {
  it("sums counters, histogram buckets and limiter figures of two processes; a withdrawn or silent process drops out", async () => {
    const now = new Date("2026-12-02T12:00:00Z");
    const scraped = createProcessMetrics(new Registry());
    const peer = createProcessMetrics(new Registry());
    const scrapedLimiters = new OutboundMetrics(scraped.outbound.queueWait);
    const peerLimiters = new OutboundMetrics(peer.outbound.queueWait);
    scraped.watch({ outbound: () => scrapedLimiters.snapshot() });
    peer.watch({ outbound: () => peerLimiters.snapshot() });

    scraped.webhooks.received.inc(3);
    peer.webhooks.received.inc(4);
    scraped.webhooks.stage.observe({ stage: "received_to_stored" }, 0.003);
    peer.webhooks.stage.observe({ stage: "received_to_stored" }, 0.003);
    peer.webhooks.stage.observe({ stage: "received_to_stored" }, 1.5);
    scrapedLimiters.for("destination:erp-1").requests = 2;
    peerLimiters.for("destination:erp-1").requests = 5;
    peerLimiters.for("destination:erp-1").circuitState = "open";
    peerLimiters.for("destination:erp-1").recordQueueWait(400);

    await publishOnce({ db: database() }, peer, now);
    const text = await deploymentMetricsText({ db: database(), config }, scraped, now);
    const families = parsePrometheus(text);
    expect(sampleValue(families, "lockstep_webhooks_received_total")).toBe(7);
    expect(sampleValue(families, "lockstep_outbound_requests_total", { limiter: "destination:erp-1" })).toBe(7);
    expect(sampleValue(families, "lockstep_outbound_circuit_state", { limiter: "destination:erp-1", state: "open" })).toBe(1);
    expect(sampleValue(families, "lockstep_processes_reporting")).toBe(2);
    expect(histogramSeries(text, "lockstep_webhook_stage_seconds", { stage: "received_to_stored" })).toMatchObject({
      buckets: { "0.005": "2", "1": "2", "2": "3", "+Inf": "3" },
      count: "3",
    });
    expect(histogramSeries(text, "lockstep_outbound_queue_wait_seconds", { limiter: "destination:erp-1" })).toMatchObject({ buckets: { "0.25": "0", "0.5": "1" }, count: "1" });

    // Three missed publications: the peer's figures are no longer counted.
    const later = new Date(now.getTime() + 31_000);
    expect(sampleValue(parsePrometheus(await deploymentMetricsText({ db: database(), config }, scraped, later)), "lockstep_webhooks_received_total")).toBe(3);
    await publishOnce({ db: database() }, peer, later);
    expect(sampleValue(parsePrometheus(await deploymentMetricsText({ db: database(), config }, scraped, later)), "lockstep_webhooks_received_total")).toBe(7);
    await withdrawProcessMetrics(database().sql, peer.processId);
    expect(sampleValue(parsePrometheus(await deploymentMetricsText({ db: database(), config }, scraped, later)), "lockstep_webhooks_received_total")).toBe(3);
  });

  it("serves the process's own figures and lockstep_database_up 0 when the database does not answer", async () => {
    const scraped = createProcessMetrics(new Registry());
    scraped.webhooks.received.inc(2);
    const down = { ...database(), sql: { ...database().sql, query: () => Promise.reject(new Error("connection refused")) } };
    const families = parsePrometheus(await deploymentMetricsText({ db: down, config }, scraped));
    expect(sampleValue(families, "lockstep_database_up")).toBe(0);
    expect(sampleValue(families, "lockstep_webhooks_received_total")).toBe(2);
  });
});
