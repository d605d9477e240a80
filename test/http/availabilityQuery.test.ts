import { describe, expect, it } from "vitest";
import { parseAvailabilityQuery } from "../../app/http/storefrontInput.server";

const parsed = (query: string) => parseAvailabilityQuery(new URLSearchParams(query));

function refusal(query: string): { code?: string; status?: number; field?: unknown } {
  try {
    parsed(query);
  } catch (error) {
    const { code, status, details } = error as { code?: string; status?: number; details?: { field?: unknown } };
    return { code, status, field: details?.field };
  }
  throw new Error(`${query} was accepted`);
}

describe("the availability query", () => {
  it("takes SKUs repeated or comma-separated, with or without the other parameters", () => {
    expect(parsed("sku=A,B&sku=C&sku=")).toMatchObject({ sku: ["A", "B", "C"] });
    expect(parsed(`sku=${"x".repeat(255)}`).sku).toEqual(["x".repeat(255)]);
    expect(parsed("sku=A&location=store-1&limit=5&cursor=QQ")).toMatchObject({ sku: ["A"], location: "store-1", limit: 5, cursor: "QQ" });
    expect(parsed("limit=5")).toMatchObject({ sku: [], limit: 5 });
  });

  it("refuses what the schema refuses, with the same codes, whether or not the SKUs alone are asked for", () => {
    expect(refusal(`sku=A&sku=${"x".repeat(256)}`)).toEqual({ code: "invalid_lines", status: 400, field: "sku.1" });
    expect(refusal("sku=A%00B")).toEqual({ code: "invalid_text", status: 400, field: "sku.0" });
    expect(refusal("sku=A%0A")).toEqual({ code: "invalid_text", status: 400, field: "sku.0" });
    expect(refusal("sku=A&location=")).toEqual({ code: "invalid_location", status: 400, field: "location" });
    expect(refusal("sku=A&limit=0")).toEqual({ code: "invalid_limit", status: 400, field: "limit" });
    expect(refusal(`sku=${Array.from({ length: 251 }, (_, i) => `S${i}`).join(",")}`)).toMatchObject({ code: "too_many_skus", status: 400 });
  });
});
