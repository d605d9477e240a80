import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation, useRevalidator } from "@remix-run/react";
import { Badge, Banner, BlockStack, Button, Card, DataTable, EmptyState, InlineStack, Modal, Page, Text } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { recordAudit } from "../audit/audit.server";
import { listDestinations, requestRun } from "../batching/destinations.server";
import { listRunItems } from "../batching/sql/listRunItems";
import { listRuns } from "../batching/sql/listRuns";
import { OperationProgress } from "../components/OperationProgress";
import { progressOf } from "../observability/progress";
import { getRunProgress } from "../observability/sql/getRunProgress";
import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import { SingleColumnPage } from "../components/SingleColumnPage";
import { ActionOutcome } from "../components/ActionOutcome";
import { ShowOneOf } from "../components/ShowOneOf";
import { authenticateStaff } from "../staff/authenticateStaff.server";
import { readForm } from "../staff/readForm.server";

export const meta: MetaFunction = () => [{ title: "Lockstep — runs" }];

/** The services this route uses, looked up in one place. */
function services(context: AppContext) {
  return { sql: context.db.sql };
}

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { shop } = await authenticateStaff(request, context);
  const { sql } = services(context);
  const url = new URL(request.url);
  const destinations = await listDestinations(sql, shop.id);
  // Only this shop's destinations can be picked: another shop's id falls back to the first of ours.
  const destination = destinations.find((candidate) => candidate.id === url.searchParams.get("destination")) ?? destinations[0];
  if (!destination) return { destinations: [], destination: null, runs: [], selectedRun: null, rejected: [], progress: null };
  const [runs, running] = await Promise.all([listRuns(sql, destination.id, 50), getRunProgress(sql, shop.id, destination.id)]);
  const selectedRun = runs.find((run) => run.id === url.searchParams.get("run")) ?? runs[0] ?? null;
  const rejected = selectedRun ? await listRunItems(sql, destination.id, selectedRun.id, ["rejected", "invalid"]) : [];
  const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);
  return {
    destinations: destinations.map((candidate) => ({ id: candidate.id, name: candidate.name })),
    destination: { id: destination.id, name: destination.name, mode: destination.mode, requestedRun: destination.requestedRun },
    runs: runs.map((run) => ({ ...run, manifest: undefined, startedAt: iso(run.startedAt), finishedAt: iso(run.finishedAt) })),
    selectedRun: selectedRun && { ...selectedRun, startedAt: iso(selectedRun.startedAt), finishedAt: iso(selectedRun.finishedAt) },
    rejected,
    progress: running ? { runId: running.runId, reason: running.reason, ...progressOf({ done: running.done, total: running.total, startedAt: new Date(running.startedAt), now: new Date(), finished: false }) } : null,
  };
};

export const action = async ({ request, context }: ActionFunctionArgs) => {
  const { shop, actor } = await authenticateStaff(request, context);
  const { sql } = services(context);
  const form = await readForm(request);
  const intent = String(form.get("intent") ?? "");
  const destinationId = String(form.get("destination") ?? "");
  const runId = String(form.get("run") ?? "");
  try {
    if (intent === "rollback") {
      if (form.get("confirm") !== "yes") return Response.json({ error: "Confirm the rollback first" }, { status: 400 });
      await requestRun(sql, shop.id, destinationId, `rollback:${runId}`);
      await recordAudit(sql, { shopId: shop.id, actor, action: "run.rollback", target: runId, after: { destinationId, rollbackOf: runId } });
      return { message: `Rollback of run #${runId} requested: it re-publishes the state before that run as a new run.` };
    }
    if (intent === "resume") {
      // A failed run is resumed by the next run of the same range: asking for a run now starts it.
      await requestRun(sql, shop.id, destinationId, "sync_now");
      await recordAudit(sql, { shopId: shop.id, actor, action: "run.resume", target: runId, after: { destinationId } });
      return { message: `Run #${runId} resumes now: items it already delivered are skipped.` };
    }
    return Response.json({ error: "Unknown action" }, { status: 400 });
  } catch (error) {
    if (error instanceof LockstepError) return Response.json({ error: error.message }, { status: error.status });
    throw error;
  }
};

const STATUS_TONE = { succeeded: "success", partial: "warning", failed: "critical", running: "info" } as const;

function downloadManifest(manifest: unknown, signature: string | null, runId: string) {
  const blob = new Blob([JSON.stringify({ manifest, signature }, null, 2)], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `run-${runId}-manifest.json`;
  link.click();
  URL.revokeObjectURL(link.href);
}

export default function Runs() {
  const { destinations, destination, runs, selectedRun, rejected, progress } = useLoaderData<typeof loader>();
  const result = useActionData<{ message?: string; error?: string }>();
  const navigation = useNavigation();
  const revalidator = useRevalidator();
  const [confirming, setConfirming] = useState(false);
  // A requested or running run is followed by reloading its figures; it survives a page reload (the request is stored).
  const inProgress = Boolean(destination?.requestedRun) || runs.some((run) => run.status === "running");
  useEffect(() => {
    if (!inProgress) return;
    const timer = setInterval(() => revalidator.state === "idle" && revalidator.revalidate(), 2000);
    return () => clearInterval(timer);
  }, [inProgress, revalidator]);

  if (!destination) {
    return (
      <Page title="Runs">
        <Card>
          <EmptyState heading="No connection yet" action={{ content: "Add a connection", url: "/app/connections" }} image="">
            <p>Runs appear here once a connection has sent (or, in shadow mode, built) its first batch.</p>
          </EmptyState>
        </Card>
      </Page>
    );
  }
  return (
    <SingleColumnPage title="Runs" subtitle={`${destination.name} · ${destination.mode}`}>
      <ActionOutcome success={result?.message} error={result?.error} />
      {inProgress && <Banner tone="info">{`A run is ${destination.requestedRun ? `requested (${destination.requestedRun})` : "in progress"}; this page follows it.`}</Banner>}
      {progress && (
        <Card>
          <OperationProgress label={`Run #${progress.runId} (${progress.reason})`} progress={progress} unit="items" />
        </Card>
      )}
      <ShowOneOf label="Destination" name="destination" items={destinations} selected={destination.id} />
      <Card>
        {runs.length === 0 ? (
          <Text as="p" tone="subdued">
            No run yet.
          </Text>
        ) : (
          <DataTable
            columnContentTypes={["text", "text", "text", "numeric", "numeric", "numeric", "numeric", "text"]}
            headings={["Run", "Reason", "Status", "Changes in", "Items", "Sent", "Rejected", "Variance"]}
            rows={runs.map((run) => [
              <a key={run.id} href={`?destination=${destination.id}&run=${run.id}`}>{`#${run.id}`}</a>,
              run.reason,
              <Badge key="status" tone={STATUS_TONE[run.status as keyof typeof STATUS_TONE]}>{run.status}</Badge>,
              run.changesIn,
              run.itemsAfterCoalescing,
              run.sent,
              run.rejected,
              run.variance === null ? "–" : `${(run.variance * 100).toFixed(2)} %`,
            ])}
          />
        )}
      </Card>
      {selectedRun && (
        <Card>
          <BlockStack gap="300">
            <InlineStack align="space-between" blockAlign="center">
              <Text as="h2" variant="headingMd">{`Run #${selectedRun.id}`}</Text>
              <InlineStack gap="200">
                <Button onClick={() => downloadManifest(selectedRun.manifest, selectedRun.signature, selectedRun.id)} disabled={!selectedRun.manifest}>
                  Download manifest
                </Button>
                {selectedRun.status === "failed" && (
                  <Form method="post">
                    <input type="hidden" name="intent" value="resume" />
                    <input type="hidden" name="destination" value={destination.id} />
                    <input type="hidden" name="run" value={selectedRun.id} />
                    <Button submit loading={navigation.state === "submitting"}>
                      Resume
                    </Button>
                  </Form>
                )}
                {(selectedRun.status === "succeeded" || selectedRun.status === "partial") && (
                  <Button tone="critical" onClick={() => setConfirming(true)}>
                    Roll back
                  </Button>
                )}
              </InlineStack>
            </InlineStack>
            <Text as="p" tone="subdued">
              {`Changes ${selectedRun.watermarkFrom}–${selectedRun.watermarkTo} · ${selectedRun.sent} sent · ${selectedRun.rejected} rejected · ${selectedRun.failed} failed`}
              {selectedRun.error ? ` · ${selectedRun.error}` : ""}
            </Text>
            {rejected.length === 0 ? (
              <Text as="p">No item was rejected in this run.</Text>
            ) : (
              <DataTable
                columnContentTypes={["text", "text", "text", "text"]}
                headings={["SKU", "Kind", "Outcome", "Reason"]}
                rows={rejected.map((item) => [item.sku, item.kind, item.outcome, item.reason ?? ""])}
              />
            )}
          </BlockStack>
          <Modal open={confirming} onClose={() => setConfirming(false)} title={`Roll back run #${selectedRun.id}?`}>
            <Modal.Section>
              <Form method="post" onSubmit={() => setConfirming(false)}>
                <input type="hidden" name="intent" value="rollback" />
                <input type="hidden" name="destination" value={destination.id} />
                <input type="hidden" name="run" value={selectedRun.id} />
                <input type="hidden" name="confirm" value="yes" />
                <BlockStack gap="300">
                  <Text as="p">Every item this run changed is sent again with the state it had before. Items changed since are left alone and listed.</Text>
                  <Button submit tone="critical" variant="primary">
                    Roll back
                  </Button>
                </BlockStack>
              </Form>
            </Modal.Section>
          </Modal>
        </Card>
      )}
    </SingleColumnPage>
  );
}
