import { useFetcher, useLocation } from "@remix-run/react";
import { Badge, BlockStack, Box, Button, Card, Icon, InlineStack, ProgressBar, Spinner, Text } from "@shopify/polaris";
import { CheckCircleIcon, XSmallIcon } from "@shopify/polaris-icons";
import { useEffect, useState } from "react";
import type { SetupGuide as Guide, SetupStep } from "../onboarding/setupGuide.server";
import { withEmbeddedParams } from "./embeddedParams";

const GUIDE_URL = "/app/setup-guide";
// While the catalog is being read the guide shows its progress live.
const REFRESH_WHILE_RUNNING_MS = 2_000;

/**
 * Polaris' setup-guide pattern on the dashboard: the merchant's first steps, each ticked from real
 * state (app/onboarding/setupGuide.server.ts). Loads and dismisses itself through /app/setup-guide.
 */
export function SetupGuide({ initial }: { initial?: Guide }) {
  const fetcher = useFetcher<Guide>();
  const [expanded, setExpanded] = useState<string | null>(null);
  // The dashboard renders the guide from its own loader when it could (no shift once the page shows); else it loads it here.
  const guide = (fetcher.data && "steps" in fetcher.data ? fetcher.data : undefined) ?? initial;

  // Loaded once after hydration even when the page rendered it: a step may have started since (the
  // catalog read an install kicks off), and only a step in progress keeps the guide refreshing.
  useEffect(() => {
    if (fetcher.state === "idle" && !fetcher.data) fetcher.load(GUIDE_URL);
  }, [fetcher]);

  const running = guide?.steps.some((step) => step.inProgress) ?? false;
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(() => fetcher.load(GUIDE_URL), REFRESH_WHILE_RUNNING_MS);
    return () => clearTimeout(timer);
  }, [running, guide, fetcher]);

  if (!guide) {
    return (
      <Card>
        <InlineStack gap="200" blockAlign="center">
          <Spinner size="small" accessibilityLabel="Loading the setup guide" />
          <Text as="span" tone="subdued">
            Checking your setup…
          </Text>
        </InlineStack>
      </Card>
    );
  }
  if (!guide.visible) {
    return (
      <fetcher.Form method="post" action={GUIDE_URL}>
        <input type="hidden" name="intent" value="show" />
        <Button submit variant="plain">
          Show the setup guide
        </Button>
      </fetcher.Form>
    );
  }
  const firstOpen = expanded ?? guide.steps.find((step) => !step.done)?.id ?? null;
  return (
    <Card padding="0">
      <div data-testid="setup-guide">
        <Box padding="400">
          <BlockStack gap="300">
            <InlineStack align="space-between" blockAlign="start">
              <BlockStack gap="100">
                <Text as="h2" variant="headingMd">
                  Setup guide
                </Text>
                <Text as="p" tone="subdued">
                  What Lockstep needs to keep your stock right everywhere you sell.
                </Text>
              </BlockStack>
              <fetcher.Form method="post" action={GUIDE_URL}>
                <input type="hidden" name="intent" value="dismiss" />
                <Button submit variant="tertiary" icon={XSmallIcon} accessibilityLabel="Dismiss the setup guide" />
              </fetcher.Form>
            </InlineStack>
            {guide.broken.length > 0 && (
              <Badge tone="warning">{`Back because something changed: ${guide.steps.filter((step) => guide.broken.includes(step.id)).map((step) => step.title.toLowerCase()).join(", ")}`}</Badge>
            )}
            <InlineStack gap="200" blockAlign="center" wrap={false}>
              <Text as="span" tone="subdued">
                {`${guide.done} of ${guide.steps.length} tasks complete`}
              </Text>
              <div style={{ flexGrow: 1 }}>
                <ProgressBar progress={(guide.done / guide.steps.length) * 100} size="small" tone="primary" />
              </div>
            </InlineStack>
          </BlockStack>
        </Box>
        <Box paddingInline="200" paddingBlockEnd="400">
          <BlockStack gap="100">
            {guide.steps.map((step) => (
              <StepRow key={step.id} step={step} open={firstOpen === step.id} onOpen={() => setExpanded(step.id)} />
            ))}
          </BlockStack>
        </Box>
      </div>
    </Card>
  );
}

function StepRow({ step, open, onOpen }: { step: SetupStep; open: boolean; onOpen: () => void }) {
  const { search } = useLocation();
  return (
    <div data-step={step.id} data-done={step.done ? "true" : "false"}>
      <Box padding="200" borderRadius="200" background={open ? "bg-surface-active" : undefined}>
        <InlineStack gap="200" blockAlign="start" wrap={false}>
          <div style={{ width: 20 }}>
            {step.done ? (
              <Icon source={CheckCircleIcon} tone="success" accessibilityLabel="Done" />
            ) : step.inProgress ? (
              <Spinner size="small" accessibilityLabel="In progress" />
            ) : (
              <span aria-label="Not done" style={{ display: "inline-block", width: 16, height: 16, margin: 2, borderRadius: "50%", border: "1.5px dashed #8a8a8a" }} />
            )}
          </div>
          <BlockStack gap="200">
            <Button variant="monochromePlain" onClick={onOpen} textAlign="left">
              {step.title}
            </Button>
            {open && (
              <BlockStack gap="200">
                <Text as="p" tone={step.unknown ? "caution" : "subdued"}>
                  {step.detail}
                </Text>
                {step.action && !step.done && (
                  <div>
                    <Button url={step.action.external ? step.action.url : withEmbeddedParams(step.action.url, search)} target={step.action.external ? "_top" : undefined}>
                      {step.action.label}
                    </Button>
                  </div>
                )}
              </BlockStack>
            )}
          </BlockStack>
        </InlineStack>
      </Box>
    </div>
  );
}
