import { afterEach, describe, expect, it } from "vitest";
import { currentCorrelationId, log, setLogLevel, setLogWriter, withCorrelationId } from "../../app/observability/log.server";

const lines: string[] = [];
setLogWriter((line) => lines.push(line));
afterEach(() => {
  lines.length = 0;
  setLogLevel("info");
});

describe("log", () => {
  it("writes one JSON line per entry with the correlation id of the work in progress", async () => {
    await withCorrelationId("req-1", async () => {
      await Promise.resolve();
      log.info("stored", { topic: "orders/create" });
    });
    log.warn("outside");
    const [inside, outside] = lines.map((line) => JSON.parse(line));
    expect(inside).toMatchObject({ level: "info", message: "stored", topic: "orders/create", correlationId: "req-1" });
    expect(outside.correlationId).toBeUndefined();
    expect(currentCorrelationId()).toBeUndefined();
  });

  it("drops entries below the level and serialises errors", () => {
    setLogLevel("warn");
    log.info("quiet");
    log.error("failed", { error: new Error("boom") });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).error).toMatchObject({ name: "Error", message: "boom" });
  });

  it("redacts secrets by field name, at the top level and one level down", () => {
    log.info("installed", { accessToken: "shpat_secret", shop: { domain: "a.myshopify.com", password: "hunter2" }, request: { headers: { authorization: "Bearer x" } } });
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ accessToken: "[redacted]", shop: { domain: "a.myshopify.com", password: "[redacted]" }, request: { headers: { authorization: "[redacted]" } } });
    expect(lines[0]).not.toContain("shpat_secret");
    expect(lines[0]).not.toContain("hunter2");
  });
});
