import { Link } from "@remix-run/react";
import { Badge, BlockStack, ButtonGroup, Button, Card, DataTable, EmptyState, InlineGrid, InlineStack, Text } from "@shopify/polaris";
import type { SyncDetails, SyncHeadline } from "../observability/dashboard.server";
import { LatencyChart } from "./LatencyChart";
import { SectionCard } from "./SectionCard";

const STATUS = {
  within: { tone: "success", label: "within budget" },
  at_risk: { tone: "warning", label: "at risk" },
  breached: { tone: "critical", label: "breached" },
  no_data: { tone: undefined, label: "no data" },
} as const;

function formatValue(value: number | null, unit: string): string {
  if (value === null) return "–";
  if (unit === "ratio") return `${(value * 100).toFixed(2)} %`;
  return `${Math.round(value * 100) / 100} ${unit}`;
}

const QUEUE_LABEL = {
  inbox: () => "Webhook inbox",
  change_capture: (destination: string) => `Changes for ${destination}`,
  order_fanout: (destination: string) => `Order events for ${destination}`,
} as const;

const RANGE_LABEL = { hour: "last hour", day: "last day", week: "last week" } as const;

function ReservationFigures({ figures, range }: { figures: SyncDetails["reservations"]; range: SyncDetails["range"] }) {
  const cells: [string, string | number][] = [
    ["Held now", figures.held],
    ["Units held", figures.unitsHeld],
    ["Oldest hold", figures.held === 0 ? "–" : `${figures.oldestHoldAgeSeconds} s`],
    [`Committed (${RANGE_LABEL[range]})`, figures.committed],
    [`Released (${RANGE_LABEL[range]})`, figures.released],
    [`Expired (${RANGE_LABEL[range]})`, figures.expired],
  ];
  return (
    <InlineGrid columns={{ xs: 2, md: 6 }} gap="300">
      {cells.map(([label, value]) => (
        <BlockStack key={label} gap="100">
          <Text as="p" tone="subdued">
            {label}
          </Text>
          <Text as="p" variant="headingMd" id={`reservations-${label.split(" ")[0]!.toLowerCase()}`}>
            {value}
          </Text>
        </BlockStack>
      ))}
    </InlineGrid>
  );
}

/** The first screen: each objective within budget, at risk or breached, and the incidents. */
export function SyncHeadlineCards({ data }: { data: SyncHeadline }) {
  const openIncidents = data.incidents.filter((incident) => incident.resolvedAt === null);
  return (
    <BlockStack gap="400">
      <SectionCard title="Objectives">
        <DataTable
          columnContentTypes={["text", "text", "text", "text"]}
          headings={["Objective", "Now", "Budget", "Status"]}
          rows={data.objectives.map((objective) => [
            objective.label,
            formatValue(objective.value, objective.unit),
            formatValue(objective.threshold, objective.unit),
            <span key={objective.key} data-objective={objective.key} data-status={objective.status}>
              <Badge tone={STATUS[objective.status].tone}>{STATUS[objective.status].label}</Badge>
            </span>,
          ])}
        />
      </SectionCard>
      <Card>
        <BlockStack gap="300">
          <InlineStack gap="200" blockAlign="center">
            <Text as="h2" variant="headingMd">
              Incidents
            </Text>
            <Badge tone={openIncidents.length > 0 ? "critical" : "success"}>{`${openIncidents.length} open`}</Badge>
          </InlineStack>
          {data.incidents.length === 0 ? (
            <Text as="p" tone="subdued">
              No incident so far: every objective has stayed within its budget.
            </Text>
          ) : (
            <DataTable
              columnContentTypes={["text", "text", "text", "text"]}
              headings={["Objective", "Worst", "Opened", "Resolved"]}
              rows={data.incidents.map((incident) => [
                data.objectives.find((objective) => objective.key === incident.objective)?.label ?? incident.objective,
                String(Math.round(incident.worstValue * 1000) / 1000),
                incident.openedAt.slice(0, 19).replace("T", " "),
                incident.resolvedAt ? incident.resolvedAt.slice(0, 19).replace("T", " ") : "open",
              ])}
            />
          )}
        </BlockStack>
      </Card>
    </BlockStack>
  );
}

/** Below the first screen (streamed in): latency charts, lag and reservations, freshness, last runs. */
export function SyncDetailCards({ data }: { data: SyncDetails }) {
  return (
    <BlockStack gap="400">
      <Card>
        <BlockStack gap="300">
          <InlineStack align="space-between" blockAlign="center">
            <Text as="h2" variant="headingMd">
              Latency from the source to applied
            </Text>
            <ButtonGroup variant="segmented">
              {(["hour", "day", "week"] as const).map((range) => (
                <Button key={range} url={`?range=${range}`} pressed={data.range === range}>
                  {`Last ${range}`}
                </Button>
              ))}
            </ButtonGroup>
          </InlineStack>
          {data.latency.map((domain) => (
            <BlockStack key={domain.domain} gap="100">
              <Text as="h3" variant="headingSm">
                {domain.domain}
              </Text>
              <LatencyChart
                title={`${domain.domain} latency`}
                series={(["p50", "p95", "p99"] as const).map((q) => ({ name: q, points: domain.points.map((point) => ({ at: point.at, value: point[q] })) }))}
              />
            </BlockStack>
          ))}
        </BlockStack>
      </Card>
      <SectionCard title="Lag and freshness">
        <Text as="h3" variant="headingSm">
          Reservations
        </Text>
        <ReservationFigures figures={data.reservations} range={data.range} />
        <DataTable
          columnContentTypes={["text", "numeric", "text", "numeric"]}
          headings={["Queue", "Waiting", "Oldest", "Dead letters"]}
          rows={data.lag.map((queue) => [QUEUE_LABEL[queue.queue](queue.destinationName ?? ""), queue.waiting, `${queue.oldestAgeSeconds} s`, queue.dead ?? "–"])}
        />
        <DataTable
          columnContentTypes={["text", "text"]}
          headings={["Domain / destination", "Newest applied or pushed"]}
          rows={data.freshness.map((entry) => [entry.subject, entry.ageSeconds === null ? "never" : `${entry.ageSeconds} s ago`])}
        />
      </SectionCard>
      <SectionCard title="Last runs per destination">
        {data.lastRuns.length === 0 ? (
          <EmptyState heading="No destination yet" action={{ content: "Add a connection", url: "/app/connections" }} image="">
            <p>Connect an ERP, a file drop or a marketplace to send catalog, prices and stock in batches.</p>
          </EmptyState>
        ) : (
          <DataTable
            columnContentTypes={["text", "text", "text", "numeric", "numeric"]}
            headings={["Destination", "Mode", "Last run", "Sent", "Rejected"]}
            rows={data.lastRuns.map((run) => [
              <Link key={run.destinationId} to={`/app/runs?destination=${run.destinationId}`}>
                {run.name}
              </Link>,
              run.mode,
              run.runId ? `#${run.runId} ${run.status}${run.finishedAt ? ` · ${run.finishedAt.slice(0, 16).replace("T", " ")}` : ""}` : "not run yet",
              run.sent ?? 0,
              run.rejected ?? 0,
            ])}
          />
        )}
      </SectionCard>
    </BlockStack>
  );
}
