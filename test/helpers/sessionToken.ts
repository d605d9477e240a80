import { createHmac, randomUUID } from "node:crypto";

/**
 * A session token as App Bridge makes it: an HS256 JWT signed with the app's secret, `aud` = the
 * API key, `dest` = the shop, one minute of life from `nowMs`.
 */
export function sessionToken(options: { shop: string; apiKey: string; secret: string; userId?: number; nowMs?: number }): string {
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = encode({ alg: "HS256", typ: "JWT" });
  const payload = encode({
    iss: `https://${options.shop}/admin`,
    dest: `https://${options.shop}`,
    aud: options.apiKey,
    sub: String(options.userId ?? 42),
    exp: now + 60,
    nbf: now - 5,
    iat: now - 5,
    jti: randomUUID(),
    sid: randomUUID(),
  });
  const signature = createHmac("sha256", options.secret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}
