import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { BlockStack, Button, Card, DataTable, EmptyState, InlineStack, Page, Text, TextField } from "@shopify/polaris";
import { useState } from "react";
import { getAuditRetention, listAudit, recordAudit, setAuditRetention } from "../audit/audit.server";
import { AUDIT_RETENTION_DAYS } from "../audit/retention";
import type { AppContext } from "../context.server";
import { errorResponse } from "../http/respond.server";
import { ActionOutcome } from "../components/ActionOutcome";
import { authenticateStaff } from "../staff/authenticateStaff.server";
import { readForm } from "../staff/readForm.server";

export const meta: MetaFunction = () => [{ title: "Lockstep — audit log" }];

/** The services this route uses, looked up in one place. */
function services(context: AppContext) {
  return { sql: context.db.sql, defaultRetentionDays: context.config.observability.auditRetentionDays };
}

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { shop } = await authenticateStaff(request, context);
  const url = new URL(request.url);
  const filter = { action: url.searchParams.get("action") ?? "", actor: url.searchParams.get("actor") ?? "" };
  const { sql, defaultRetentionDays } = services(context);
  const [entries, retention] = await Promise.all([
    listAudit(sql, shop.id, { ...filter, beforeId: /^\d{1,18}$/.test(url.searchParams.get("before") ?? "") ? url.searchParams.get("before")! : undefined, limit: 100 }),
    getAuditRetention(sql, shop.id, defaultRetentionDays),
  ]);
  return { filter, retention, defaultRetentionDays, entries: entries.map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() })) };
};

// The shop's own retention (the sweeper applies it); the change is itself audited, in one transaction.
export const action = async ({ request, context }: ActionFunctionArgs) => {
  const { shop, actor } = await authenticateStaff(request, context);
  const { sql, defaultRetentionDays } = services(context);
  const form = await readForm(request);
  if (form.get("intent") !== "retention") return Response.json({ error: { message: "Unknown action" } }, { status: 400 });
  try {
    const { after } = await sql.transaction(async (tx) => {
      const change = await setAuditRetention(tx, shop.id, form.get("days") ?? "", defaultRetentionDays);
      await recordAudit(tx, { shopId: shop.id, actor, action: "audit_retention.update", before: change.before, after: change.after });
      return change;
    });
    return { saved: after.isDefault ? `Entries are kept for the default ${after.days} days.` : `Entries are kept for ${after.days} days.` };
  } catch (error) {
    return errorResponse(error);
  }
};

function changed(before: unknown, after: unknown): string {
  const text = (value: unknown) => (value === null || value === undefined ? "" : JSON.stringify(value));
  if (before && after && typeof before === "object" && typeof after === "object") {
    const keys = Object.keys(after as object).filter((key) => text((before as Record<string, unknown>)[key]) !== text((after as Record<string, unknown>)[key]));
    if (keys.length > 0) return keys.map((key) => `${key}: ${text((before as Record<string, unknown>)[key])} → ${text((after as Record<string, unknown>)[key])}`).join("; ");
  }
  return [text(before), text(after)].filter(Boolean).join(" → ").slice(0, 300);
}

export default function AuditLog() {
  const { filter, entries, retention, defaultRetentionDays } = useLoaderData<typeof loader>();
  const result = useActionData<{ saved?: string; error?: { message: string } }>();
  const navigation = useNavigation();
  const [action, setAction] = useState(filter.action);
  const [actor, setActor] = useState(filter.actor);
  const [days, setDays] = useState(retention.isDefault ? "" : String(retention.days));
  return (
    <Page title="Audit log" subtitle="Every staff action: who, when, what changed">
      <Card>
        <Form method="post">
          <input type="hidden" name="intent" value="retention" />
          <BlockStack gap="200">
            <InlineStack gap="200" blockAlign="end">
              <TextField
                label="Keep entries for (days)"
                name="days"
                type="number"
                min={AUDIT_RETENTION_DAYS.min}
                max={AUDIT_RETENTION_DAYS.max}
                value={days}
                onChange={setDays}
                autoComplete="off"
                placeholder={`${defaultRetentionDays} (default)`}
                helpText={`${AUDIT_RETENTION_DAYS.min}–${AUDIT_RETENTION_DAYS.max} days; empty keeps the deployment's default. Older entries are deleted hourly.`}
                error={result?.error?.message}
              />
              <Button submit loading={navigation.state === "submitting"}>
                Save retention
              </Button>
            </InlineStack>
            <ActionOutcome success={result?.saved} />
          </BlockStack>
        </Form>
      </Card>
      <Card>
        <Form method="get">
          <InlineStack gap="200" blockAlign="end">
            <TextField label="Action" name="action" value={action} onChange={setAction} autoComplete="off" placeholder="destination, settings.update…" />
            <TextField label="Who" name="actor" value={actor} onChange={setActor} autoComplete="off" />
            <Button submit>Filter</Button>
          </InlineStack>
        </Form>
      </Card>
      <Card>
        {entries.length === 0 ? (
          <EmptyState heading="Nothing recorded yet" image="">
            <p>Settings saved, tokens issued, replays, connection changes and rollbacks are listed here.</p>
          </EmptyState>
        ) : (
          <DataTable
            columnContentTypes={["text", "text", "text", "text", "text"]}
            headings={["When", "Who", "Action", "On", "What changed"]}
            rows={entries.map((entry) => [entry.at.slice(0, 19).replace("T", " "), entry.actor, entry.action, entry.target || "–", changed(entry.before, entry.after)])}
          />
        )}
        {entries.length === 100 && (
          <Text as="p">
            <a href={`?action=${encodeURIComponent(filter.action)}&actor=${encodeURIComponent(filter.actor)}&before=${entries.at(-1)!.id}`}>Older entries</a>
          </Text>
        )}
      </Card>
    </Page>
  );
}
