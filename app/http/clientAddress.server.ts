import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { normaliseAddress } from "../config/config.server";

/**
 * The address of the client behind a request, for per-client limits. The socket's peer, unless that
 * peer is one of `trustedProxies`: then the nearest address in `X-Forwarded-For` that is not itself
 * a trusted proxy (everything left of it could have been written by the client). A header from
 * anyone else is ignored, so a client cannot pick its own address.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: readonly string[]): string {
  const peer = normaliseAddress(req.socket.remoteAddress ?? "unknown");
  if (trustedProxies.length === 0 || !trustedProxies.includes(peer)) return peer;
  const forwarded = [req.headers["x-forwarded-for"]].flat().join(",").split(",").map((hop) => normaliseAddress(hop.trim()));
  let client = peer;
  for (let i = forwarded.length - 1; i >= 0; i--) {
    const hop = forwarded[i]!;
    if (isIP(hop) === 0) break;
    client = hop;
    if (!trustedProxies.includes(hop)) break;
  }
  return client;
}
