import { BlockStack, Layout, Page } from "@shopify/polaris";
import type { ReactNode } from "react";

/** An admin page of one column: its sections stacked under the title, the shell the feeds, prices, connections, runs and dead-letters pages share. */
export function SingleColumnPage({ title, subtitle, children }: { title: string; subtitle?: string; children: ReactNode }) {
  return (
    <Page title={title} subtitle={subtitle}>
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">{children}</BlockStack>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
