import { BlockStack, Card, Text } from "@shopify/polaris";

/** One headline figure in a card, its label above it: the dashboard's totals and the reservations page's. */
export function Stat({ label, value }: { label: string; value: string | number }) {
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
