import { BlockStack, InlineStack, ProgressBar, Text } from "@shopify/polaris";
import { formatEta, type Progress } from "../observability/progress";

/** A long operation's progress: done of total, when it started and the time left at its pace so far. */
export function OperationProgress({ label, progress, unit }: { label: string; progress: Progress; unit: string }) {
  const counted = progress.total === null ? `${progress.done} ${unit} so far` : `${progress.done} / ${progress.total} ${unit}`;
  const started = `started ${progress.startedAt.slice(0, 19).replace("T", " ")} UTC`;
  return (
    <div data-progress={label} data-done={progress.done} data-total={progress.total ?? ""}>
      <BlockStack gap="100">
        <InlineStack align="space-between" blockAlign="center">
          <Text as="p" variant="headingSm">
            {label}
          </Text>
          <Text as="p" tone="subdued">
            {progress.finished ? `${counted} · done` : `${counted} · ${started} · ${formatEta(progress.etaSeconds)}`}
          </Text>
        </InlineStack>
        <ProgressBar progress={progress.percent ?? 0} size="small" tone={progress.finished ? "success" : "highlight"} animated={!progress.finished} />
      </BlockStack>
    </div>
  );
}
