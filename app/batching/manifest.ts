import { createHmac, timingSafeEqual } from "node:crypto";
import type { RunManifest, SignedManifest } from "./types";

/**
 * JSON with object keys sorted at every level and no whitespace: the same manifest gives the same
 * bytes in any language, so a receiver can recompute the signature (RFC 8785 for our value types:
 * strings, integers, booleans, null, arrays, objects).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, entry]) => entry !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(",")}}`;
}

export function signManifest(manifest: RunManifest, secret: string): SignedManifest {
  return { manifest, signature: `sha256=${createHmac("sha256", secret).update(canonicalJson(manifest)).digest("hex")}` };
}

export function verifyManifest(signed: SignedManifest, secret: string): boolean {
  const expected = Buffer.from(signManifest(signed.manifest, secret).signature);
  const given = Buffer.from(signed.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
