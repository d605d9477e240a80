import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { Badge, BlockStack, Button, Card, DataTable, InlineStack, Page, Text, TextField } from "@shopify/polaris";
import { useState } from "react";
import type { AppContext } from "../context.server";
import { traceEvent } from "../observability/trace.server";
import { authenticateStaff } from "../staff/authenticateStaff.server";

export const meta: MetaFunction = () => [{ title: "Lockstep — trace" }];

/** The services this route uses, looked up in one place. */
function services(context: AppContext) {
  return { sql: context.db.sql };
}

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { shop } = await authenticateStaff(request, context);
  const key = (new URL(request.url).searchParams.get("q") ?? "").trim().slice(0, 200);
  return { key, steps: key ? await traceEvent(services(context).sql, shop.id, key) : [] };
};

const STAGE_TONE = { received: "info", stored: "info", applied: "success", failed: "critical", captured: "info", sent: "success", order_event: "success" } as const;

export default function Trace() {
  const { key, steps } = useLoaderData<typeof loader>();
  const [query, setQuery] = useState(key);
  return (
    <Page title="Trace" subtitle="Follow one event from the webhook to each destination">
      <BlockStack gap="400">
        <Card>
          <Form method="get">
            <InlineStack gap="200" blockAlign="end">
              <TextField label="Delivery id, order id or SKU" name="q" value={query} onChange={setQuery} autoComplete="off" />
              <Button submit variant="primary">
                Trace
              </Button>
            </InlineStack>
          </Form>
        </Card>
        {key && (
          <Card>
            {steps.length === 0 ? (
              <Text as="p">{`Nothing of this shop carries ${key}: webhooks are searched by content for 7 days.`}</Text>
            ) : (
              <DataTable
                columnContentTypes={["text", "text", "text", "text"]}
                headings={["When (UTC)", "Step", "What", "Result"]}
                rows={steps.map((step) => [
                  step.at.slice(0, 23).replace("T", " "),
                  <Badge key="stage" tone={STAGE_TONE[step.stage]}>
                    {step.stage.replace("_", " ")}
                  </Badge>,
                  step.link ? (
                    <a key="subject" href={step.link}>
                      {step.subject}
                    </a>
                  ) : (
                    step.subject
                  ),
                  step.detail,
                ])}
              />
            )}
          </Card>
        )}
      </BlockStack>
    </Page>
  );
}
