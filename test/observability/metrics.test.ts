import { describe, expect, it } from "vitest";
import { PrometheusText } from "../../app/observability/prometheus";
import { STANDALONE_ENV, useTestServer } from "../helpers/server";

const open = useTestServer({ build: false });
const guarded = useTestServer({ build: false, env: { ...STANDALONE_ENV, METRICS_TOKEN: "metrics-token-0123456789" } });

describe("GET /metrics", () => {
  it("serves Prometheus text with webhook, inbox and process series", async () => {
    const response = await fetch(`${open().url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await response.text();
    expect(body).toContain("# TYPE lockstep_webhook_stage_seconds histogram");
    expect(body).toMatch(/^lockstep_inbox_unprocessed 0$/m);
    expect(body).toMatch(/^lockstep_database_up 1$/m);
    expect(body).toMatch(/^lockstep_webhook_stage_seconds_bucket\{stage="received_to_stored",le="\+Inf"\} \d+$/m);
    expect(body).toContain("# TYPE lockstep_outbound_requests_total counter");
    expect(body).toMatch(/^lockstep_reservation_batches_total \d+$/m);
    expect(body).toMatch(/^lockstep_reservation_reruns_total\{reason="stock_moved"\} \d+$/m);
    expect(body).toMatch(/^lockstep_reservation_dropped_total\{reason="caller_gone"\} \d+$/m);
  });

  it("asks for the metrics token when one is configured", async () => {
    expect((await fetch(`${guarded().url}/metrics`)).status).toBe(401);
    expect((await fetch(`${guarded().url}/metrics`, { headers: { authorization: "Bearer wrong-token-xxxxxxxxx" } })).status).toBe(401);
    const response = await fetch(`${guarded().url}/metrics`, { headers: { authorization: "Bearer metrics-token-0123456789" } });
    expect(response.status).toBe(200);
  });
});

describe("PrometheusText", () => {
  it("writes cumulative buckets with +Inf, sum and count, and escapes label values", () => {
    const text = new PrometheusText()
      .histogram("x_seconds", "help", [{ labels: { shop: 'a"b\\c' }, buckets: [{ le: 0.1, count: 2 }, { le: 1, count: 3 }], sum: 1.5, count: 4 }])
      .toString();
    expect(text).toBe(
      [
        "# HELP x_seconds help",
        "# TYPE x_seconds histogram",
        'x_seconds_bucket{shop="a\\"b\\\\c",le="0.1"} 2',
        'x_seconds_bucket{shop="a\\"b\\\\c",le="1"} 3',
        'x_seconds_bucket{shop="a\\"b\\\\c",le="+Inf"} 4',
        'x_seconds_sum{shop="a\\"b\\\\c"} 1.5',
        'x_seconds_count{shop="a\\"b\\\\c"} 4',
        "",
      ].join("\n"),
    );
  });
});
