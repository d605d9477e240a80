import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Badge, Card, DataTable, EmptyState, InlineGrid, Layout, Page } from "@shopify/polaris";
import { Stat } from "../components/Stat";
import { authenticateStaff } from "../staff/authenticateStaff.server";

export const meta: MetaFunction = () => [{ title: "Lockstep — reservations" }];

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { shop } = await authenticateStaff(request, context);
  const overview = await context.stock.reservations.overview(shop.id, { limit: 100 });
  return { overview };
};

function expiresIn(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.round(seconds / 3600)} h`;
}

export default function Reservations() {
  const { overview } = useLoaderData<typeof loader>();
  return (
    <Page title="Reservations" subtitle="Stock held in carts and checkouts, and sold units waiting for the platform to count them">
      <Layout>
        <Layout.Section>
          <InlineGrid columns={2} gap="400">
            <Stat label="Active holds" value={overview.totals.activeHolds} />
            <Stat label="Units held" value={overview.totals.unitsHeld} />
          </InlineGrid>
        </Layout.Section>
        <Layout.Section>
          <Card padding="0">
            {overview.byItem.length === 0 ? (
              <EmptyState heading="Nothing is held right now" image="">
                <p>Holds appear here when storefronts reserve stock through the API or the app proxy.</p>
              </EmptyState>
            ) : (
              <DataTable
                columnContentTypes={["text", "text", "text", "numeric", "numeric", "numeric", "text"]}
                headings={["SKU", "Product", "Scope", "Held", "Sold, not yet counted", "Sold", "Next expiry"]}
                rows={overview.byItem.map((item) => [
                  item.sku,
                  `${item.productTitle} · ${item.title}`,
                  item.scope,
                  item.reserved,
                  item.committedPending,
                  item.sold,
                  item.nextExpiry ? new Date(item.nextExpiry).toLocaleTimeString("en-GB", { timeZone: "UTC" }) + " UTC" : "–",
                ])}
              />
            )}
          </Card>
        </Layout.Section>
        {overview.activeHolds.length > 0 && (
          <Layout.Section>
            <Card padding="0">
              <DataTable
                columnContentTypes={["text", "text", "numeric", "text"]}
                headings={["Cart / checkout key", "Lines", "Units", "Expires in"]}
                rows={overview.activeHolds.map((hold) => [
                  hold.key,
                  hold.lines.map((line) => `${line.quantity} × ${line.sku}`).join(", "),
                  hold.units,
                  hold.expiresInSeconds < 60 ? <Badge tone="warning">{expiresIn(hold.expiresInSeconds)}</Badge> : expiresIn(hold.expiresInSeconds),
                ])}
              />
            </Card>
          </Layout.Section>
        )}
      </Layout>
    </Page>
  );
}
