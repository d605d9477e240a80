import { describe, expect, it } from "vitest";
import { openCredential, sealCredential } from "../../app/shops/credentials.server";

const KEY = "k".repeat(32);

describe("sealed credentials", () => {
  it("round-trip, and never show the token in the sealed text", () => {
    const sealed = sealCredential(KEY, "bc-access-token-123");
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain("bc-access-token-123");
    expect(openCredential(KEY, sealed)).toBe("bc-access-token-123");
    expect(sealCredential(KEY, "same")).not.toBe(sealCredential(KEY, "same"));
  });

  it("refuse another key, a tampered text and an unknown format", () => {
    const sealed = sealCredential(KEY, "secret");
    expect(() => openCredential("x".repeat(32), sealed)).toThrow(/LOCKSTEP_ENCRYPTION_KEY/);
    const raw = Buffer.from(sealed.slice(3), "base64");
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    expect(() => openCredential(KEY, `v1:${raw.toString("base64")}`)).toThrow(/cannot be opened/);
    expect(() => openCredential(KEY, "plain-token")).toThrow(/unknown format/);
  });
});
