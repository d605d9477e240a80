import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import polarisVizStyles from "@shopify/polaris-viz/build/esm/styles.css?url";
import { Await, Form, useActionData, useLoaderData, useNavigation, useRevalidator } from "@remix-run/react";
import { Badge, Banner, BlockStack, Box, Button, Card, DataTable, InlineGrid, InlineStack, Layout, Page, SkeletonBodyText, Text } from "@shopify/polaris";
import { Suspense, useEffect } from "react";
import { getBackfill, startBackfill } from "../backfill/backfill.server";
import { errorResponse } from "../http/respond.server";
import { getCatalogOverview } from "../catalog/overview.server";
import { Stat } from "../components/Stat";
import { SetupGuide } from "../components/SetupGuide";
import { getSyncHealth, type Percentiles } from "../observability/syncHealth.server";
import { bigCommerceLimiterTarget } from "../platforms/bigcommerce/client.server";
import { shopifyLimiterTarget } from "../platforms/shopify/adminClient.server";
import { OperationProgress } from "../components/OperationProgress";
import { SyncDetailCards, SyncHeadlineCards } from "../components/SyncOverview";
import { chartRangeOf, getSyncDetails, getSyncHeadline } from "../observability/dashboard.server";
import { progressOf } from "../observability/progress";
import { readSetupGuide, setupGuideDepsFor } from "../onboarding/setupGuide.server";
import { platformIdentityOf } from "../shops/platformIdentity";
import { authenticateStaff } from "../staff/authenticateStaff.server";

export const links = () => [{ rel: "stylesheet", href: polarisVizStyles }];

export const meta: MetaFunction = () => [{ title: "Lockstep — dashboard" }];

/** The key the shop's platform client limits its calls under. */
function platformLimiterKey(shop: { platform: string; domain: string }): string {
  const identity = platformIdentityOf(shop);
  return identity.platform === "bigcommerce" ? bigCommerceLimiterTarget(identity.storeHash) : shopifyLimiterTarget(identity.shopDomain);
}

/** How long the first response waits for the setup guide (Shopify's checks can be slow); past it the guide loads itself. */
const GUIDE_BUDGET_MS = 500;

async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

// The first screen (store, setup guide, objectives and incidents) is rendered from small reads; what
// lies below it (charts, lag, health, the catalog table) streams in after, each in a box of its own.
export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { shop, mode } = await authenticateStaff(request, context);
  const { db, outbound } = context;
  const range = chartRangeOf(new URL(request.url).searchParams.get("range"));
  const now = new Date();
  const catalog = getCatalogOverview(db.prisma, shop.id).then((overview) => {
    const age = (iso: string | null) => (iso ? Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000)) : null);
    return { overview, oldestAgeSeconds: age(overview.oldestLevelUpdate), newestAgeSeconds: age(overview.newestLevelUpdate), rowAges: overview.rows.map((row) => age(row.sourceUpdatedAt)) };
  });
  // Started now, awaited by the page later: none of them holds up the first screen.
  const details = getSyncDetails(db.sql, shop.id, range, now);
  // This shop's own figures: staff never see another shop's backlog or dead letters.
  const health = getSyncHealth(db.sql, shop.id, now);
  const [headline, backfill, guide] = await Promise.all([getSyncHeadline(db.sql, shop.id), getBackfill(db.sql, shop.id), within(readSetupGuide(setupGuideDepsFor(context), shop), GUIDE_BUDGET_MS)]);
  // A running backfill against the catalog already held (a re-read): done / total; a first read has no total yet.
  const backfillProgress = backfill && catalog.then(({ overview }) =>
    progressOf({
      done: backfill.variants,
      total: backfill.state !== "running" ? backfill.variants : overview.variants > backfill.variants ? overview.variants : null,
      startedAt: backfill.startedAt,
      now,
      finished: backfill.state !== "running",
    }),
  );
  return {
    mode,
    guide,
    headline,
    details,
    health,
    catalog,
    backfillProgress,
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

/** A streamed section's box while its data is on the way: as tall as what usually fills it, so little moves. */
function Pending({ lines, label }: { lines: number; label: string }) {
  return (
    <Card>
      <div aria-busy="true" aria-label={`Loading ${label}`}>
        <SkeletonBodyText lines={lines} />
      </div>
    </Card>
  );
}

export default function Dashboard() {
  const { shop, mode, guide, headline, details, health, catalog, backfill, backfillProgress, outbound } = useLoaderData<typeof loader>();
  const backfillResult = useActionData<{ started?: boolean; error?: { message: string } }>();
  const navigation = useNavigation();
  const revalidator = useRevalidator();
  // A running backfill is followed here (and after a reload: its progress is stored).
  const reading = backfill?.state === "running";
  useEffect(() => {
    if (!reading) return;
    const timer = setInterval(() => revalidator.state === "idle" && revalidator.revalidate(), 2000);
    return () => clearInterval(timer);
  }, [reading, revalidator]);
  return (
    <Page title="Dashboard" subtitle={`${shop.name} · ${shop.domain}`}>
      <Layout>
        <Layout.Section>
          <SetupGuide initial={guide} />
        </Layout.Section>
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
                <Suspense fallback="Freshest stock number: …">
                  <Await resolve={catalog}>{(loaded) => `Freshest stock number: ${formatAge(loaded.newestAgeSeconds)} · stalest: ${formatAge(loaded.oldestAgeSeconds)}`}</Await>
                </Suspense>
              </Text>
            </InlineStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <SyncHeadlineCards data={headline} />
        </Layout.Section>
        <Layout.Section>
          <Suspense fallback={<Pending lines={24} label="charts, lag and last runs" />}>
            <Await resolve={details}>{(loaded) => <SyncDetailCards data={loaded} />}</Await>
          </Suspense>
        </Layout.Section>
        <Layout.Section>
          <Suspense fallback={<Pending lines={4} label="sync health" />}>
            <Await resolve={health}>{(loaded) => <SyncHealthCard health={loaded} />}</Await>
          </Suspense>
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
            <BlockStack gap="300">
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
                  <Button submit loading={navigation.state === "submitting"} disabled={reading}>
                    Read the whole catalog again
                  </Button>
                </Form>
              </InlineStack>
              {backfillProgress && reading && (
                <Suspense fallback={null}>
                  <Await resolve={backfillProgress}>{(progress) => <OperationProgress label="Reading the catalog" progress={progress} unit="variants" />}</Await>
                </Suspense>
              )}
              {backfillResult?.started && <Banner tone="info">Reading the catalog: its progress shows here, also after a reload.</Banner>}
              {backfillResult?.error && <Banner tone="critical">{backfillResult.error.message}</Banner>}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Suspense fallback={<Layout.Section><Pending lines={12} label="the catalog" /></Layout.Section>}>
          <Await resolve={catalog}>{(loaded) => <CatalogSections {...loaded} />}</Await>
        </Suspense>
      </Layout>
    </Page>
  );
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

function SyncHealthCard({ health }: { health: Awaited<Loaded["health"]> }) {
  return (
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
  );
}

function CatalogSections({ overview, rowAges }: Awaited<Loaded["catalog"]>) {
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
    <>
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
    </>
  );
}
