import { describe, expect, it } from "vitest";
import { OutboundMetrics } from "../../app/outbound/metrics";
import { writeOutboundMetrics } from "../../app/observability/outboundMetrics";
import { PrometheusText } from "../../app/observability/prometheus";

describe("outbound metrics in Prometheus format", () => {
  it("labels every family by limiter, with circuit state and queue-wait histogram", () => {
    const metrics = new OutboundMetrics();
    const shop = metrics.for("shopify:a.myshopify.com");
    shop.requests = 3;
    shop.costUsed = 99;
    shop.throttles = 1;
    shop.recordQueueWait(3);
    shop.recordQueueWait(400);
    shop.recordQueueWait(60_000);
    const erp = metrics.for("destination:erp-1");
    erp.circuitState = "open";
    const text = writeOutboundMetrics(new PrometheusText(), metrics.snapshot()).toString();
    expect(text).toContain('lockstep_outbound_requests_total{limiter="shopify:a.myshopify.com"} 3');
    expect(text).toContain('lockstep_outbound_cost_used_total{limiter="shopify:a.myshopify.com"} 99');
    expect(text).toContain('lockstep_outbound_throttled_total{limiter="shopify:a.myshopify.com"} 1');
    expect(text).toContain('lockstep_outbound_circuit_state{limiter="destination:erp-1",state="open"} 1');
    expect(text).toContain('lockstep_outbound_circuit_state{limiter="destination:erp-1",state="closed"} 0');
    expect(text).not.toContain('lockstep_outbound_circuit_state{limiter="shopify');
    expect(text).toContain('lockstep_outbound_queue_wait_seconds_bucket{limiter="shopify:a.myshopify.com",le="0.005"} 1');
    expect(text).toContain('lockstep_outbound_queue_wait_seconds_bucket{limiter="shopify:a.myshopify.com",le="1"} 2');
    expect(text).toContain('lockstep_outbound_queue_wait_seconds_bucket{limiter="shopify:a.myshopify.com",le="+Inf"} 3');
    expect(text).toContain('lockstep_outbound_queue_wait_seconds_count{limiter="shopify:a.myshopify.com"} 3');
  });
});
