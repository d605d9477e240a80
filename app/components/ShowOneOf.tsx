import { Form } from "@remix-run/react";
import { Button, InlineStack, Select } from "@shopify/polaris";

/** A GET form that picks which of a shop's items (a feed, a destination) the page shows: the choice lands in the URL. */
export function ShowOneOf({ label, name, items, selected }: { label: string; name: string; items: { id: string; name: string }[]; selected: string }) {
  return (
    <Form method="get">
      <InlineStack gap="200" blockAlign="end">
        <Select label={label} name={name} options={items.map((item) => ({ label: item.name, value: item.id }))} value={selected} onChange={() => undefined} />
        <Button submit>Show</Button>
      </InlineStack>
    </Form>
  );
}
