import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Badge, Banner, BlockStack, Button, Card, Checkbox, DataTable, EmptyState, FormLayout, InlineStack, Select, Text, TextField } from "@shopify/polaris";
import { useState } from "react";
import { recordAudit } from "../audit/audit.server";
import { createDestination, listDestinations, requestRun, testConnection, updateDestination } from "../batching/destinations.server";
import { processAdapters } from "../batching/scheduler.server";
import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import { SectionCard } from "../components/SectionCard";
import { SingleColumnPage } from "../components/SingleColumnPage";
import { ActionOutcome } from "../components/ActionOutcome";
import { authenticateStaff } from "../staff/authenticateStaff.server";
import { readForm } from "../staff/readForm.server";

export const meta: MetaFunction = () => [{ title: "Lockstep — connections" }];

/** The services this route uses, looked up in one place. */
function services(context: AppContext) {
  return { sql: context.db.sql, destinations: { sql: context.db.sql, encryptionKey: context.config.encryptionKey, adapters: processAdapters(context) }, registry: context.outbound };
}

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { shop } = await authenticateStaff(request, context);
  const { sql, registry } = services(context);
  const circuits = new Map(registry.metrics.snapshot().map((limiter) => [limiter.key, limiter.circuitState ?? null]));
  const destinations = await listDestinations(sql, shop.id);
  // Credentials and secrets never leave the server: the view carries only whether credentials are stored.
  return {
    destinations: destinations.map((destination) => ({
      id: destination.id,
      name: destination.name,
      kind: destination.kind,
      endpoint: destination.endpoint,
      hasCredentials: destination.hasCredentials,
      receives: destination.receives,
      cadence: destination.cadence,
      limits: destination.limits,
      mode: destination.mode,
      enabled: destination.enabled,
      nextRunAt: destination.nextRunAt ? new Date(destination.nextRunAt).toISOString() : null,
      requestedRun: destination.requestedRun,
      circuit: circuits.get(`destination:${destination.id}`) ?? "closed",
    })),
  };
};

interface ActionResult {
  error?: string;
  field?: string;
  message?: string;
  tested?: { id: string; ok: boolean; message?: string };
}

export const action = async ({ request, context }: ActionFunctionArgs) => {
  const { shop, actor } = await authenticateStaff(request, context);
  const { sql, destinations } = services(context);
  const form = await readForm(request);
  const intent = String(form.get("intent") ?? "");
  const id = String(form.get("id") ?? "");
  try {
    if (intent === "create") {
      const token = String(form.get("token") ?? "").trim();
      const input = {
        name: String(form.get("name") ?? ""),
        kind: String(form.get("kind") ?? ""),
        endpoint: String(form.get("endpoint") ?? ""),
        receives: form.getAll("receives").map(String),
        cadence: String(form.get("cadence") ?? "").trim() || undefined,
        credentials: token ? { token } : {},
        limits: { requestsPerSecond: Number(form.get("requestsPerSecond") || 5), concurrency: 2, batchSize: Number(form.get("batchSize") || 100) },
      };
      const created = await createDestination(destinations, shop.id, input);
      await recordAudit(sql, { shopId: shop.id, actor, action: "destination.create", target: created.id, after: { ...created, credentials: token ? "[set]" : "[none]" } });
      return { message: `${created.name} created in shadow mode: it builds and records runs without sending until you switch it to live.` } satisfies ActionResult;
    }
    const before = (await listDestinations(sql, shop.id)).find((destination) => destination.id === id);
    if (!before) throw new LockstepError("destination_not_found", "No destination with this id");
    if (intent === "test") {
      const result = await testConnection(destinations, id, shop.id);
      await recordAudit(sql, { shopId: shop.id, actor, action: "destination.test", target: id, after: result });
      return { tested: { id, ok: result.ok, message: "message" in result ? String(result.message ?? "") : undefined } } satisfies ActionResult;
    }
    if (intent === "pause" || intent === "resume") {
      const after = await updateDestination(destinations, shop.id, id, { enabled: intent === "resume" });
      await recordAudit(sql, { shopId: shop.id, actor, action: `destination.${intent}`, target: id, before: { enabled: before.enabled }, after: { enabled: after.enabled } });
      return { message: `${after.name} ${intent === "pause" ? "paused" : "resumed"}.` } satisfies ActionResult;
    }
    if (intent === "mode") {
      const mode = form.get("mode") === "live" ? "live" : "shadow";
      const after = await updateDestination(destinations, shop.id, id, { mode });
      await recordAudit(sql, { shopId: shop.id, actor, action: "destination.mode", target: id, before: { mode: before.mode }, after: { mode: after.mode } });
      return { message: mode === "live" ? `${after.name} is live: its next run sends every item once (the cut-over).` : `${after.name} is back in shadow mode.` } satisfies ActionResult;
    }
    if (intent === "sync") {
      await requestRun(sql, shop.id, id, "sync_now");
      await recordAudit(sql, { shopId: shop.id, actor, action: "destination.sync", target: id });
      return { message: `A run of ${before.name} starts within seconds; follow it on the Runs page.` } satisfies ActionResult;
    }
    return Response.json({ error: "Unknown action" }, { status: 400 });
  } catch (error) {
    if (error instanceof LockstepError) return Response.json({ error: error.message, field: (error.details as { field?: string } | undefined)?.field }, { status: error.status });
    throw error;
  }
};

const KINDS = [
  { label: "ERP (JSON over HTTPS)", value: "erp_http" },
  { label: "Files over SFTP", value: "sftp_files" },
  { label: "Google Merchant feed", value: "google_feed" },
  { label: "Amazon listings", value: "amazon_listings" },
];

function CreateForm({ error, field, busy }: { error?: string; field?: string; busy: boolean }) {
  const [kind, setKind] = useState("erp_http");
  const [receives, setReceives] = useState<string[]>(["stock"]);
  // Polaris text fields are controlled (an absent value is ""): each keeps its text in state.
  const [fields, setFields] = useState({ name: "", endpoint: "", token: "", cadence: "", requestsPerSecond: "", batchSize: "" });
  const bind = (name: keyof typeof fields) => ({ name, value: fields[name], onChange: (value: string) => setFields((current) => ({ ...current, [name]: value })) });
  const fieldError = (name: string) => (field === name ? error : undefined);
  return (
    <Form method="post">
      <input type="hidden" name="intent" value="create" />
      {receives.map((value) => (
        <input key={value} type="hidden" name="receives" value={value} />
      ))}
      <FormLayout>
        <TextField label="Name" {...bind("name")} autoComplete="off" requiredIndicator error={fieldError("name")} />
        <Select label="Kind" name="kind" options={KINDS} value={kind} onChange={setKind} />
        <TextField label="Endpoint" {...bind("endpoint")} autoComplete="off" placeholder="https://erp.example.com/lockstep" error={fieldError("endpoint")} />
        <TextField label="Access token" {...bind("token")} type="password" autoComplete="new-password" helpText="Stored sealed; never shown again." />
        <InlineStack gap="300">
          {["catalog", "price", "stock"].map((value) => (
            <Checkbox
              key={value}
              label={value}
              checked={receives.includes(value)}
              onChange={(checked) => setReceives(checked ? [...receives, value] : receives.filter((other) => other !== value))}
            />
          ))}
        </InlineStack>
        <FormLayout.Group>
          <TextField label="Cadence (cron)" {...bind("cadence")} autoComplete="off" placeholder="*/15 * * * *" error={fieldError("cadence")} />
          <TextField label="Requests per second" {...bind("requestsPerSecond")} type="number" autoComplete="off" placeholder="5" />
          <TextField label="Batch size" {...bind("batchSize")} type="number" autoComplete="off" placeholder="100" />
        </FormLayout.Group>
        {error && !field && <Banner tone="critical">{error}</Banner>}
        <Button submit variant="primary" loading={busy}>
          Create connection
        </Button>
      </FormLayout>
    </Form>
  );
}

function RowAction({ id, intent, label, extra }: { id: string; intent: string; label: string; extra?: Record<string, string> }) {
  return (
    <Form method="post" style={{ display: "inline" }}>
      <input type="hidden" name="intent" value={intent} />
      <input type="hidden" name="id" value={id} />
      {Object.entries(extra ?? {}).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <Button submit size="slim">
        {label}
      </Button>
    </Form>
  );
}

export default function Connections() {
  const { destinations } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  return (
    <SingleColumnPage title="Connections" subtitle="ERPs, file drops and marketplaces that receive your catalog, prices and stock">
      <ActionOutcome success={result?.message} />
      {result?.tested && (
        <Banner tone={result.tested.ok ? "success" : "critical"} title={result.tested.ok ? "Connection works" : "Connection failed"}>
          {result.tested.message}
        </Banner>
      )}
      <Card>
        {destinations.length === 0 ? (
          <EmptyState heading="No connection yet" image="">
            <p>Add your ERP, an SFTP drop or a marketplace below. New connections start in shadow mode.</p>
          </EmptyState>
        ) : (
          <DataTable
            columnContentTypes={["text", "text", "text", "text", "text", "text"]}
            headings={["Name", "Kind · receives", "Limits", "State", "Next run", "Actions"]}
            rows={destinations.map((destination) => [
              <BlockStack key="name" gap="100">
                <Text as="span" fontWeight="semibold">
                  {destination.name}
                </Text>
                <Text as="span" tone="subdued">
                  {destination.endpoint}
                </Text>
                <Text as="span" tone="subdued">
                  {destination.hasCredentials ? "credentials stored" : "no credentials"}
                </Text>
              </BlockStack>,
              `${destination.kind} · ${destination.receives.join(", ")}`,
              `${destination.limits.requestsPerSecond}/s · ${destination.limits.concurrency} at once · ${destination.limits.batchSize} per batch`,
              <InlineStack key="state" gap="100">
                <Badge tone={destination.mode === "live" ? "success" : "info"}>{destination.mode}</Badge>
                {!destination.enabled && <Badge tone="warning">paused</Badge>}
                <Badge tone={destination.circuit === "closed" ? "success" : "critical"}>{`circuit ${destination.circuit}`}</Badge>
              </InlineStack>,
              destination.requestedRun ? `requested: ${destination.requestedRun}` : destination.nextRunAt ? destination.nextRunAt.slice(0, 16).replace("T", " ") : destination.cadence,
              <InlineStack key="actions" gap="100">
                <RowAction id={destination.id} intent="test" label="Test connection" />
                <RowAction id={destination.id} intent="sync" label="Sync now" />
                <RowAction id={destination.id} intent={destination.enabled ? "pause" : "resume"} label={destination.enabled ? "Pause" : "Resume"} />
                <RowAction id={destination.id} intent="mode" label={destination.mode === "live" ? "Back to shadow" : "Go live"} extra={{ mode: destination.mode === "live" ? "shadow" : "live" }} />
              </InlineStack>,
            ])}
          />
        )}
      </Card>
      <SectionCard title="New connection">
        <CreateForm key={result?.message ?? "new"} error={result?.error} field={result?.field} busy={busy} />
      </SectionCard>
    </SingleColumnPage>
  );
}
