import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import polarisVizStyles from "@shopify/polaris-viz/build/esm/styles.css?url";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Badge, Banner, BlockStack, Box, Button, Card, DataTable, InlineGrid, InlineStack, Layout, Page, Text } from "@shopify/polaris";
import { getBackfill, startBackfill } from "../backfill/backfill.server";
import { errorResponse } from "../http/respond.server";
import { getCatalogOverview } from "../catalog/overview.server";
import { SetupGuide } from "../components/SetupGuide";
import { getSyncHealth, type Percentiles } from "../observability/syncHealth.server";
import { bigCommerceLimiterTarget } from "../platforms/bigcommerce/client.server";
import { shopifyLimiterTarget } from "../platforms/shopify/adminClient.server";
import { SyncOverview } from "../components/SyncOverview";
import { chartRangeOf, getSyncOverview } from "../observability/dashboard.server";
import { platformIdentityOf } from "../shops/platformIdentity";
import { authenticateStaff } from "../staff/authenticateStaff.server";

export const links = () => [{ rel: "stylesheet", href: polarisVizStyles }];

export const meta: MetaFunction = () => [{ title: "Lockstep — dashboard" }];

/** The key the shop's platform client limits its calls under. */
function platformLimiterKey(shop: { platform: string; domain: string }): string {
  const identity = platformIdentityOf(shop);
  return identity.platform === "bigcommerce" ? bigCommerceLimiterTarget(identity.storeHash) : shopifyLimiterTarget(identity.shopDomain);
}

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { shop, mode } = await authenticateStaff(request, context);
  const { db, outbound } = context;
  const range = chartRangeOf(new URL(request.url).searchParams.get("range"));
  const [overview, health, backfill, sync] = await Promise.all([
    getCatalogOverview(db.prisma, shop.id),
    // This shop's own figures: staff never see another shop's backlog or dead letters.
    getSyncHealth(db.sql, shop.id, new Date()),
    getBackfill(db.sql, shop.id),
    getSyncOverview(db.sql, shop.id, range, new Date()),
  ]);
  const now = Date.now();
  const age = (iso: string | null) => (iso ? Math.max(0, Math.round((now - Date.parse(iso)) / 1000)) : null);
  return {
    mode,
    health,
    sync,
    // This shop's platform limiter and the deployment's ERP / marketplace destinations (never another shop's).
    outbound: outbound.metrics.snapshot().filter((limiter) => limiter.key === platformLimiterKey(shop) || limiter.key.startsWith("destination:")).map((limiter) => ({
      key: limiter.key,
      requests: limiter.requests,
      throttles: limiter.throttles,
      retries: limiter.retries,
      failures: limiter.failures,
      costUsed: limiter.costUsed,
      circuitState: limiter.circuitState ?? null,
      averageWaitMs: limiter.queueWait.count ? Math.round(limiter.queueWait.sumMs / limiter.queueWait.count) : 0,
    })),
    backfill: backfill && { ...backfill, startedAt: backfill.startedAt.toISOString(), finishedAt: backfill.finishedAt?.toISOString() ?? null },
    shop: { domain: shop.domain, name: shop.name, platform: shop.platform, installState: shop.installState },
    overview,
    oldestAgeSeconds: age(overview.oldestLevelUpdate),
    newestAgeSeconds: age(overview.newestLevelUpdate),
    rowAges: overview.rows.map((row) => age(row.sourceUpdatedAt)),
  };
};

// "Read the catalog again": the whole catalog and stock from the platform, e.g. after a long outage.
export const action = async ({ request, context }: ActionFunctionArgs) => {
  const { shop } = await authenticateStaff(request, context);
  try {
    await startBackfill(context, shop.id);
    return { started: true, error: undefined };
  } catch (error) {
    return errorResponse(error);
  }
};

export function formatAge(seconds: number | null): string {
  if (seconds === null) return "never";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

function formatPercentiles(p: Percentiles): string {
  if (p.count === 0) return "no events yet";
  const ms = (value: number | null) => (value === null ? "–" : `${value} ms`);
  return `p50 ${ms(p.p50)} · p95 ${ms(p.p95)} · p99 ${ms(p.p99)}`;
}

const HEALTH_TONE = { healthy: "success", degraded: "warning", failing: "critical" } as const;

function Stat({ label, value }: { label: string; value: string | number }) {
  return (
    <Card>
      <BlockStack gap="100">
        <Text as="p" tone="subdued">
          {label}
        </Text>
        <Text as="p" variant="headingXl">
          {value}
        </Text>
      </BlockStack>
    </Card>
  );
}

export default function Dashboard() {
  const { shop, overview, oldestAgeSeconds, newestAgeSeconds, rowAges, mode, health, backfill, outbound, sync } = useLoaderData<typeof loader>();
  const backfillResult = useActionData<{ started?: boolean; error?: { message: string } }>();
  const navigation = useNavigation();
  const headings = ["SKU", "Product", "Variant", ...overview.locations, "Committed", "Price", "Updated"];
  const rows = overview.rows.map((row, i) => [
    row.sku,
    row.product,
    row.variant,
    ...overview.locations.map((name) => row.onHandByLocation[name] ?? 0),
    row.committed,
    row.price,
    formatAge(rowAges[i] ?? null),
  ]);
  return (
    <Page title="Dashboard" subtitle={`${shop.name} · ${shop.domain}`}>
      <Layout>
        <Layout.Section><SetupGuide /></Layout.Section>
        <Layout.Section>
          <Card>
            <InlineStack gap="300" blockAlign="center">
              <Text as="h2" variant="headingMd">
                Store
              </Text>
              <Badge tone={shop.installState === "installed" ? "success" : "critical"}>{shop.installState}</Badge>
              <Badge>{shop.platform}</Badge>
              {mode === "standalone" && <Badge tone="info">standalone demo</Badge>}
              <Text as="span" tone="subdued">
                Freshest stock number: {formatAge(newestAgeSeconds)} · stalest: {formatAge(oldestAgeSeconds)}
              </Text>
            </InlineStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <SyncOverview data={sync} />
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <InlineStack gap="300" blockAlign="center">
                <Text as="h2" variant="headingMd">
                  Sync health
                </Text>
                <Badge tone={HEALTH_TONE[health.status]}>{health.status}</Badge>
              </InlineStack>
              {health.reasons.map((reason) => (
                <Text as="p" key={reason} tone="caution">
                  {reason}
                </Text>
              ))}
              {health.webhooks && (
              <InlineGrid columns={{ xs: 1, md: 3 }} gap="400">
                <BlockStack gap="100">
                  <Text as="p" tone="subdued">
                    Webhooks received / applied / failed attempts (last {health.windowMinutes} min)
                  </Text>
                  <Text as="p" variant="headingMd">
                    {health.webhooks.received} / {health.webhooks.processed} / {health.webhooks.failedAttempts}
                  </Text>
                </BlockStack>
                <BlockStack gap="100">
                  <Text as="p" tone="subdued">
                    Answer to the platform (received → stored)
                  </Text>
                  <Text as="p" variant="headingMd">
                    {formatPercentiles(health.webhooks.answerLatency)}
                  </Text>
                </BlockStack>
                <BlockStack gap="100">
                  <Text as="p" tone="subdued">
                    Applied (received → processed)
                  </Text>
                  <Text as="p" variant="headingMd">
                    {formatPercentiles(health.webhooks.endToEndLatency)}
                  </Text>
                </BlockStack>
              </InlineGrid>
              )}
              {health.inbox && (
                <Text as="p" tone="subdued">
                  Inbox: {health.inbox.unprocessed} waiting, oldest {health.inbox.oldestAgeSeconds} s · {health.inbox.deadLetters} dead letter(s)
                </Text>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        {outbound.length > 0 && (
          <Layout.Section>
            <Card padding="0">
              <Box padding="400">
                <Text as="h2" variant="headingMd">
                  Outbound calls (kept inside every party's rate limit)
                </Text>
              </Box>
              <DataTable
                columnContentTypes={["text", "numeric", "numeric", "numeric", "numeric", "numeric", "text"]}
                headings={["Limiter", "Requests", "Throttled", "Retries", "Failures", "Average wait (ms)", "Circuit"]}
                rows={outbound.map((limiter) => [
                  limiter.key,
                  limiter.requests,
                  limiter.throttles,
                  limiter.retries,
                  limiter.failures,
                  limiter.averageWaitMs,
                  limiter.circuitState ? <Badge tone={limiter.circuitState === "closed" ? "success" : "critical"}>{limiter.circuitState}</Badge> : "–",
                ])}
              />
            </Card>
          </Layout.Section>
        )}
        <Layout.Section>
          <Card>
            <InlineStack gap="300" blockAlign="center" align="space-between">
              <BlockStack gap="100">
                <Text as="h2" variant="headingMd">
                  Catalog read from {shop.platform === "shopify" ? "Shopify" : "BigCommerce"}
                </Text>
                <Text as="p" tone="subdued">
                  {backfill
                    ? `${backfill.state}: ${backfill.variants} variants, ${backfill.levels} stock levels, ${backfill.locations} locations · started ${backfill.startedAt.slice(0, 19).replace("T", " ")} UTC${backfill.error ? ` · ${backfill.error}` : ""}`
                    : "Not read yet: webhooks keep what they have seen up to date."}
                </Text>
              </BlockStack>
              <Form method="post">
                <Button submit loading={navigation.state === "submitting"} disabled={backfill?.state === "running"}>
                  Read the whole catalog again
                </Button>
              </Form>
            </InlineStack>
            {backfillResult?.started && <Banner tone="info">Reading the catalog: this page shows its progress when you reload it.</Banner>}
            {backfillResult?.error && <Banner tone="critical">{backfillResult.error.message}</Banner>}
          </Card>
        </Layout.Section>
        <Layout.Section>
          <InlineGrid columns={4} gap="400">
            <Stat label="Products" value={overview.products} />
            <Stat label="SKUs" value={overview.variants} />
            <Stat label="Locations" value={overview.locations.length} />
            <Stat label="Units on hand" value={overview.unitsOnHand} />
          </InlineGrid>
        </Layout.Section>
        <Layout.Section>
          <Card padding="0">
            <DataTable
              columnContentTypes={["text", "text", "text", ...overview.locations.map(() => "numeric" as const), "numeric", "numeric", "text"]}
              headings={headings}
              rows={rows}
            />
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
