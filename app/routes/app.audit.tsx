import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { Button, Card, DataTable, EmptyState, InlineStack, Page, Text, TextField } from "@shopify/polaris";
import { useState } from "react";
import { listAudit } from "../audit/audit.server";
import type { AppContext } from "../context.server";
import { authenticateStaff } from "../staff/authenticateStaff.server";

export const meta: MetaFunction = () => [{ title: "Lockstep — audit log" }];

/** The services this route uses, looked up in one place. */
function services(context: AppContext) {
  return { sql: context.db.sql };
}

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { shop } = await authenticateStaff(request, context);
  const url = new URL(request.url);
  const filter = { action: url.searchParams.get("action") ?? "", actor: url.searchParams.get("actor") ?? "" };
  const entries = await listAudit(services(context).sql, shop.id, { ...filter, beforeId: /^\d{1,18}$/.test(url.searchParams.get("before") ?? "") ? url.searchParams.get("before")! : undefined, limit: 100 });
  return { filter, entries: entries.map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() })) };
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
  const { filter, entries } = useLoaderData<typeof loader>();
  const [action, setAction] = useState(filter.action);
  const [actor, setActor] = useState(filter.actor);
  return (
    <Page title="Audit log" subtitle="Every staff action: who, when, what changed">
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
