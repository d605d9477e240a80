import { getBackfill } from "../backfill/backfill.server";
import type { AppContext } from "../context.server";
import { shopifyAdminClientsByShopId } from "../checkout/shopifyAccess.server";
import type { SqlRunner } from "../db/database.server";
import type { ShopifyAdminClient } from "../platforms/shopify/adminClient.server";
import { CHECKOUT_FUNCTION_HANDLE } from "../checkout/checkoutClock.server";
import { checkoutValidations } from "../checkout/documents/checkoutValidation";
import { mainThemeProductTemplate } from "./documents";
import { dismissSetupGuide } from "./sql/dismissSetupGuide";
import { readSetupFacts } from "./sql/readSetupFacts";

export type SetupStepId = "catalog" | "policy" | "checkout" | "themeBlock" | "apiToken" | "destination";

export interface SetupStep {
  id: SetupStepId;
  title: string;
  /** Ticked from real state, checked on every look. */
  done: boolean;
  /** The state could not be checked (Shopify did not answer): neither ticked nor counted as broken. */
  unknown?: boolean;
  /** Something is under way (the catalog being read): the page refreshes itself meanwhile. */
  inProgress?: boolean;
  detail: string;
  /** Where the merchant does this step. */
  action?: { label: string; url: string; external?: boolean };
}

export interface SetupGuide {
  steps: SetupStep[];
  done: number;
  /** False once dismissed, until a step that was done at dismissal is no longer done. */
  visible: boolean;
  dismissed: boolean;
  /** Steps done at dismissal that broke since (why the guide came back). */
  broken: SetupStepId[];
}

export interface SetupGuideDeps {
  sql: SqlRunner;
  /** The shop's Admin API client (its offline session), for the steps only Shopify knows. */
  shopifyClient?: (shopId: string) => Promise<ShopifyAdminClient | undefined>;
  /** The app's handle in shopify.app.toml: theme blocks are typed `shopify://apps/{handle}/blocks/…`. */
  appHandle?: string;
}

/** The running process's guide dependencies: its database, and each shop's Admin client through its offline session. */
export function setupGuideDepsFor(context: AppContext): SetupGuideDeps {
  return {
    sql: context.db.sql,
    shopifyClient: shopifyAdminClientsByShopId({ sql: context.db.sql, encryptionKey: context.config.encryptionKey, clientFor: (shop, token) => context.platforms.shopifyAdminClientFor(shop, token) }),
  };
}

// The availability block of extensions/availability-block, as the theme editor writes it into a template.
const THEME_BLOCK = "availability";
const PRODUCT_TEMPLATE = "templates/product.json";

/** The setup guide of one shop: each step checked now from Lockstep's tables or, for the checkout and theme, Shopify. */
export async function readSetupGuide(deps: SetupGuideDeps, shop: { id: string; platform: string; domain: string }): Promise<SetupGuide> {
  const shopify = shop.platform === "shopify";
  const [facts, backfill, live] = await Promise.all([
    readSetupFacts(deps.sql, shop.id),
    getBackfill(deps.sql, shop.id),
    shopify ? checkShopify(deps, shop.id) : undefined,
  ]);
  const steps: SetupStep[] = [
    {
      id: "catalog",
      title: "Catalog read",
      done: backfill?.state === "done",
      inProgress: backfill?.state === "running",
      detail: !backfill
        ? "Lockstep has not read your catalog yet."
        : backfill.state === "running"
          ? `Reading your catalog: ${backfill.variants} variants and ${backfill.levels} stock levels so far.`
          : backfill.state === "done"
            ? `${backfill.variants} variants and ${backfill.levels} stock levels at ${backfill.locations} locations read.`
            : `The last reading failed: ${backfill.error ?? "unknown error"}. Read it again from this page.`,
    },
    {
      id: "policy",
      title: "Availability policy chosen",
      done: facts.policyChosen,
      detail: facts.policyChosen ? "Safety stock, overselling and stale-stock rules are set." : "Choose how much to hold back and what to do with stock nobody confirmed lately.",
      action: { label: "Open settings", url: "/app/settings" },
    },
  ];
  if (live) {
    steps.push(
      {
        id: "checkout",
        title: "Checkout validation on",
        ...live.checkout,
        action: { label: "Open checkout settings", url: `https://${shop.domain}/admin/settings/checkout`, external: true },
      },
      {
        id: "themeBlock",
        title: "Theme block added",
        ...live.themeBlock,
        action: { label: "Open the theme editor", url: `https://${shop.domain}/admin/themes/current/editor?template=product&addAppBlockId=${deps.appHandle ?? "lockstep-sync"}/${THEME_BLOCK}`, external: true },
      },
    );
  }
  steps.push(
    {
      id: "apiToken",
      title: "Storefront API token created",
      done: facts.apiTokenCreated,
      detail: facts.apiTokenCreated ? "Headless storefronts and your ERP can read availability." : "Create a token for headless storefronts and your ERP.",
      action: { label: "Open settings", url: "/app/settings" },
    },
    {
      id: "destination",
      title: "A destination connected",
      done: facts.destinationsEnabled > 0,
      detail: facts.destinationsEnabled > 0 ? `${facts.destinationsEnabled} destination(s) receive your changes.` : "Connect your ERP, a marketplace or a feed to send changes to.",
    },
  );
  const broken = facts.dismissal ? steps.filter((step) => facts.dismissal!.stepsDone.includes(step.id) && !step.done && !step.unknown).map((step) => step.id) : [];
  return {
    steps,
    done: steps.filter((step) => step.done).length,
    dismissed: facts.dismissal !== null,
    visible: facts.dismissal === null || broken.length > 0,
    broken,
  };
}

/** Hides the guide; it comes back when a step done now stops being done. */
export async function dismissGuide(deps: SetupGuideDeps, shop: { id: string; platform: string; domain: string }, now: Date): Promise<void> {
  const guide = await readSetupGuide(deps, shop);
  await dismissSetupGuide(
    deps.sql,
    shop.id,
    guide.steps.filter((step) => step.done).map((step) => step.id),
    now,
  );
}

type LiveCheck = Pick<SetupStep, "done" | "unknown" | "detail">;

async function checkShopify(deps: SetupGuideDeps, shopId: string): Promise<{ checkout: LiveCheck; themeBlock: LiveCheck }> {
  const unknown = (why: string): LiveCheck => ({ done: false, unknown: true, detail: `Could not ask Shopify (${why}): Lockstep checks again on the next visit.` });
  let client: ShopifyAdminClient | undefined;
  try {
    client = await deps.shopifyClient?.(shopId);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { checkout: unknown(why), themeBlock: unknown(why) };
  }
  if (!client) return { checkout: unknown("no access token"), themeBlock: unknown("no access token") };
  const [checkout, themeBlock] = await Promise.all([
    client.request(checkoutValidations, { first: 25 }).then(
      ({ data }): LiveCheck => {
        const on = data.validations.nodes.some((node) => node.shopifyFunction.handle === CHECKOUT_FUNCTION_HANDLE && node.enabled);
        return { done: on, detail: on ? "Checkout refuses items that sold out meanwhile." : "Turn on the Lockstep stock check in your checkout settings." };
      },
      (error: unknown) => unknown(error instanceof Error ? error.message : String(error)),
    ),
    client.request(mainThemeProductTemplate, { filenames: [PRODUCT_TEMPLATE] }).then(
      ({ data }): LiveCheck => {
        const content = data.themes.nodes[0]?.files?.nodes.find((file) => file.filename === PRODUCT_TEMPLATE)?.body.content ?? "";
        const added = hasThemeBlock(content, deps.appHandle ?? "lockstep-sync");
        return { done: added, detail: added ? "Product pages show live availability." : "Add the Lockstep availability block to your product page." };
      },
      (error: unknown) => unknown(error instanceof Error ? error.message : String(error)),
    ),
  ]);
  return { checkout, themeBlock };
}

/** True when the template holds an enabled block of the app's availability extension. */
export function hasThemeBlock(template: string, appHandle: string): boolean {
  // JSON templates may start with a /* … */ comment the theme editor writes.
  const json = template.replace(/^\s*\/\*[\s\S]*?\*\//, "");
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return false;
  }
  const prefix = `shopify://apps/${appHandle}/blocks/${THEME_BLOCK}/`;
  const visit = (value: unknown): boolean => {
    if (!value || typeof value !== "object") return false;
    const node = value as { type?: unknown; disabled?: unknown };
    if (typeof node.type === "string" && node.type.startsWith(prefix) && node.disabled !== true) return true;
    return Object.values(value).some(visit);
  };
  return visit(parsed);
}
