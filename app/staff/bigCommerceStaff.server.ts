import { createCookieSessionStorage } from "@remix-run/node";
import type { Config } from "../config/config.server";

// BigCommerce opens an app inside its control panel by calling the app's `load` callback with a
// `signed_payload_jwt` (checked in app/http/platformWebhooks.server.ts). That callback hands the staff
// member this signed, HTTP-only cookie for their store and sends them to the admin: the same pages
// Shopify staff see, for the BigCommerce store. The control panel frames the app from another site,
// so in production the cookie is `SameSite=None; Secure`.

export interface BigCommerceStaffSession {
  shopId: string;
  /** BigCommerce's id of the staff user (for the audit log). */
  userId: string;
}

const SESSION_SECONDS = 60 * 60 * 8;
// One storage per configuration (it only depends on the secret and the environment).
const storages = new WeakMap<Config, ReturnType<typeof makeStorage>>();

function makeStorage(config: Config) {
  const production = config.nodeEnv === "production";
  return createCookieSessionStorage<BigCommerceStaffSession>({
    cookie: {
      name: "lockstep_bigcommerce_staff",
      httpOnly: true,
      sameSite: production ? "none" : "lax",
      secure: production,
      path: "/",
      secrets: [config.sessionSecret],
      maxAge: SESSION_SECONDS,
    },
  });
}

function storage(config: Config) {
  let existing = storages.get(config);
  if (!existing) storages.set(config, (existing = makeStorage(config)));
  return existing;
}

/** The `Set-Cookie` header that opens the admin for this staff member of this store. */
export async function bigCommerceStaffCookie(config: Config, session: BigCommerceStaffSession): Promise<string> {
  const store = storage(config);
  const cookie = await store.getSession();
  cookie.set("shopId", session.shopId);
  cookie.set("userId", session.userId);
  return store.commitSession(cookie);
}

/** The BigCommerce staff session a request carries, if its cookie is there and signed by us. */
export async function bigCommerceStaffOf(config: Config, cookieHeader: string | null): Promise<BigCommerceStaffSession | undefined> {
  if (!cookieHeader?.includes("lockstep_bigcommerce_staff=")) return undefined;
  const session = await storage(config).getSession(cookieHeader);
  const shopId = session.get("shopId");
  const userId = session.get("userId");
  return typeof shopId === "string" && typeof userId === "string" ? { shopId, userId } : undefined;
}
