import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, FormLayout, Layout, Page, Select, Text, TextField } from "@shopify/polaris";
import { useState } from "react";
import { LockstepError } from "../config/errors";
import { errorResponse } from "../http/respond.server";
import type { InventoryPolicy } from "../inventory/policy";
import { log } from "../observability/log.server";
import { forgetRememberedTokens, issueApiToken } from "../shops/shops.server";
import { recordAudit } from "../audit/audit.server";
import { ActionOutcome } from "../components/ActionOutcome";
import { authenticateStaff } from "../staff/authenticateStaff.server";
import { readForm } from "../staff/readForm.server";

export const meta: MetaFunction = () => [{ title: "Lockstep — settings" }];

const NUMBER_FIELDS = [
  ["defaultSafetyStock", "Default safety stock", "Units per item never offered for sale (an item's own setting wins)"],
  ["oversellThreshold", "Oversell threshold", "Units that may be sold beyond stock (0: never oversell)"],
  ["cacheTtlSeconds", "Availability cache (seconds)", "How long an availability answer may be reused; at most 30"],
  ["staleAfterSeconds", "Stale after (seconds)", "Stock numbers older than this are treated as stale"],
  ["staleCapQuantity", "Cap when stale", "The most a shopper may take of an item whose number is stale (with 'cap')"],
  ["lowStockThreshold", "Low-stock threshold", "At or below this, storefronts say 'limited stock' instead of a count when stale"],
  ["reservationTtlSeconds", "Cart hold (seconds)", "How long a reservation holds stock unless the storefront asks otherwise"],
  ["proxyMaxQuantity", "Online store hold: units per item", "The most one shopper's hold (through the app proxy) may take of one item"],
  ["proxyMaxStockPercent", "Online store hold: share of stock (%)", "The most one shopper's hold may take of an item's available stock (the last unit stays holdable)"],
  ["proxyMaxHoldSeconds", "Online store hold: longest (seconds)", "The longest a shopper's hold may last at a time"],
  ["proxyExactStockUpTo", "Online store: exact count when refusing, up to", "A refused hold tells the shopper how many are left only at or below this (otherwise just 'not enough')"],
] as const;

type NumberField = (typeof NUMBER_FIELDS)[number][0];

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { shop, mode } = await authenticateStaff(request, context);
  return { policy: await context.stock.settings.getPolicy(shop.id), apiTokenPrefix: shop.apiTokenPrefix, demo: mode === "standalone" };
};

interface ActionResult {
  error?: { code: string; message: string };
  saved: boolean;
  /** A new API token, in clear: shown this once. */
  apiToken?: string;
}

export const action = async ({ request, context }: ActionFunctionArgs) => {
  const { shop, actor } = await authenticateStaff(request, context);
  const form = await readForm(request);
  if (form.get("intent") === "api-token") {
    const apiToken = await issueApiToken(context.db.prisma, shop.id);
    // The old token stops working at once, in every process.
    forgetRememberedTokens(context.apiTokens, shop.id);
    log.info("api token issued", { shopId: shop.id, actor, prefix: apiToken.slice(0, 8) });
    await recordAudit(context.db.sql, { shopId: shop.id, actor, action: "api_token.issue", before: { prefix: shop.apiTokenPrefix }, after: { prefix: apiToken.slice(0, 8) } });
    return { apiToken, saved: false } satisfies ActionResult;
  }
  const patch: Partial<InventoryPolicy> = {
    availabilityMode: form.get("availabilityMode") === "per_location" ? "per_location" : "pooled",
    staleAction: (["cap", "hide_low_stock", "block"] as const).find((value) => value === form.get("staleAction")) ?? "cap",
  };
  for (const [name, label] of NUMBER_FIELDS) {
    const raw = String(form.get(name) ?? "").trim();
    if (!/^\d+$/.test(raw)) return errorResponse(new LockstepError("invalid_setting", `${label}: enter a whole number`));
    patch[name] = Number(raw);
  }
  try {
    const settings = context.stock.settings;
    const before = await settings.getPolicy(shop.id);
    const policy = await settings.updatePolicy(shop.id, patch);
    await recordAudit(context.db.sql, { shopId: shop.id, actor, action: "settings.update", before, after: policy });
    return { policy, saved: true, error: undefined };
  } catch (error) {
    return errorResponse(error);
  }
};

export default function Settings() {
  const { policy, apiTokenPrefix, demo } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  const navigation = useNavigation();
  const [values, setValues] = useState<Record<string, string>>(() => ({
    availabilityMode: policy.availabilityMode,
    staleAction: policy.staleAction,
    ...Object.fromEntries(NUMBER_FIELDS.map(([name]) => [name, String(policy[name as NumberField])])),
  }));
  const set = (name: string) => (value: string) => setValues((current) => ({ ...current, [name]: value }));
  return (
    <Page title="Settings" subtitle="How availability is computed and protected for this shop">
      <Layout>
        <Layout.Section>
          <Card>
            <Form method="post">
              <BlockStack gap="400">
                <ActionOutcome success={result?.saved ? "Saved. Cached availability was refreshed." : undefined} error={result?.error?.message} />
                <Text as="h2" variant="headingMd">
                  Availability
                </Text>
                <FormLayout>
                  <Select
                    label="Availability across locations"
                    name="availabilityMode"
                    options={[
                      { label: "Pooled: all active locations together", value: "pooled" },
                      { label: "Per location: storefronts ask for one location", value: "per_location" },
                    ]}
                    value={values.availabilityMode}
                    onChange={set("availabilityMode")}
                  />
                  <Select
                    label="When stock numbers are stale"
                    name="staleAction"
                    options={[
                      { label: "Cap the quantity a shopper may take", value: "cap" },
                      { label: "Hide low stock (show 'limited stock')", value: "hide_low_stock" },
                      { label: "Block sales of the item", value: "block" },
                    ]}
                    value={values.staleAction}
                    onChange={set("staleAction")}
                  />
                  {NUMBER_FIELDS.map(([name, label, help]) => (
                    <TextField key={name} label={label} name={name} type="number" min={0} helpText={help} value={values[name]} onChange={set(name)} autoComplete="off" />
                  ))}
                </FormLayout>
                <Button submit variant="primary" loading={navigation.state === "submitting" && navigation.formData?.get("intent") !== "api-token"}>
                  Save
                </Button>
              </BlockStack>
            </Form>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <Form method="post">
              <input type="hidden" name="intent" value="api-token" />
              <BlockStack gap="400">
                <Text as="h2" variant="headingMd">
                  Storefront API token
                </Text>
                <Text as="p">
                  Headless storefronts, BigCommerce checkouts and ERPs call <code>/api/v1/availability</code> and <code>/api/v1/reservations</code> with{" "}
                  <code>Authorization: Bearer &lt;token&gt;</code>. Lockstep keeps only a hash of the token.
                </Text>
                {result?.apiToken ? (
                  <Banner tone="warning" title="Copy the new token now: it is not shown again">
                    <BlockStack gap="200">
                      <TextField label="New API token" value={result.apiToken} readOnly autoComplete="off" monospaced selectTextOnFocus />
                      <Text as="p">The previous token no longer works: at once on every Lockstep process (with Redis; without it, other processes within 10 seconds).</Text>
                    </BlockStack>
                  </Banner>
                ) : (
                  <Text as="p" tone="subdued">
                    {apiTokenPrefix ? `Current token: ${apiTokenPrefix}… (only its beginning is kept, for you to recognise it). Replacing it stops it.` : "No token yet: create one to use the storefront API."}
                  </Text>
                )}
                {demo && (
                  <Text as="p" tone="subdued">
                    Standalone demo: the simulated storefront&apos;s flash sales use the token printed at start. Once it is replaced they are refused until the next
                    start, which issues the printed token again.
                  </Text>
                )}
                <Button submit loading={navigation.state === "submitting" && navigation.formData?.get("intent") === "api-token"}>
                  {apiTokenPrefix || result?.apiToken ? "Replace the token" : "Create a token"}
                </Button>
              </BlockStack>
            </Form>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
