import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Badge, Button, Card, DataTable, EmptyState, FormLayout, InlineStack, Select, Text, TextField } from "@shopify/polaris";
import { useState } from "react";
import { recordAudit } from "../audit/audit.server";
import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import { cancelSale, createSale, historyOf, salesOf, updateSale } from "../prices/sales.server";
import { SectionCard } from "../components/SectionCard";
import { SingleColumnPage } from "../components/SingleColumnPage";
import { ActionOutcome } from "../components/ActionOutcome";
import { authenticateStaff } from "../staff/authenticateStaff.server";
import { readForm } from "../staff/readForm.server";

export const meta: MetaFunction = () => [{ title: "Lockstep — prices" }];

/** The services this route uses, looked up in one place. */
function services(context: AppContext) {
  return { sql: context.db.sql };
}

const iso = (value: Date | string | null) => (value ? new Date(value).toISOString() : null);
const SALE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { shop } = await authenticateStaff(request, context);
  const { sql } = services(context);
  const url = new URL(request.url);
  const sku = (url.searchParams.get("sku") ?? "").trim().slice(0, 200);
  const editing = url.searchParams.get("edit") ?? "";
  const sales = await salesOf(sql, shop.id, new Date());
  // Only this shop's sales can be opened for an edit: another shop's id is simply not in the list.
  const edited = SALE_ID.test(editing) ? sales.find((sale) => sale.id === editing && sale.status === "upcoming") : undefined;
  const history = sku ? await historyOf(sql, shop.id, sku) : [];
  return {
    sku,
    sales: sales.map((sale) => ({ ...sale, startsAt: iso(sale.startsAt)!, endsAt: iso(sale.endsAt)! })),
    editing: edited ? { id: edited.id, name: edited.name, kind: edited.kind, value: edited.value, startsAt: iso(edited.startsAt)!, endsAt: iso(edited.endsAt)!, itemCount: edited.itemCount } : null,
    history: history.map((row) => ({ ...row, validFrom: iso(row.validFrom)!, validTo: iso(row.validTo), recordedAt: iso(row.recordedAt)!, supersededAt: iso(row.supersededAt) })),
  };
};

interface ActionResult {
  error?: string;
  field?: string;
  message?: string;
}

/** Which form field a refusal of the sales domain is about, so the form shows it inline. */
const FIELD_OF: Record<string, string> = {
  invalid_name: "name",
  invalid_items: "skus",
  unknown_skus: "skus",
  no_price_at_start: "skus",
  price_overlap: "skus",
  invalid_amount: "value",
  invalid_percent: "value",
  invalid_window: "endsAt",
  sale_started: "startsAt",
};

/** A time the form sent: an ISO instant with its zone, or a datetime-local value read as UTC (the form says so). */
function instant(raw: FormDataEntryValue | null, field: string): Date {
  const text = String(raw ?? "").trim();
  const date = new Date(/(Z|[+-]\d\d:\d\d)$/.test(text) ? text : `${text}Z`);
  if (!text || Number.isNaN(date.getTime())) throw new LockstepError("invalid_window", `${field === "startsAt" ? "Start" : "End"}: enter a date and time`, { field });
  return date;
}

export const action = async ({ request, context }: ActionFunctionArgs) => {
  const { shop, actor } = await authenticateStaff(request, context);
  const { sql } = services(context);
  const form = await readForm(request);
  const intent = String(form.get("intent") ?? "");
  const saleId = String(form.get("sale") ?? "");
  try {
    if ((intent === "edit" || intent === "cancel") && !SALE_ID.test(saleId)) throw new LockstepError("unknown_sale", "No sale with this id in this shop");
    // The sale as it was, for the audit's before → after (another shop's id finds nothing and is refused below).
    const before = intent === "edit" || intent === "cancel" ? (await salesOf(sql, shop.id, new Date())).find((sale) => sale.id === saleId) : undefined;
    const terms = (before?: { startsAt: Date; endsAt: Date }) => ({
      name: String(form.get("name") ?? ""),
      skus: String(form.get("skus") ?? "")
        .split(/[\s,]+/)
        .filter(Boolean),
      kind: form.get("kind") === "percent" ? ("percent" as const) : ("amount" as const),
      value: String(form.get("value") ?? "").trim(),
      startsAt: before && !form.get("startsAt") ? before.startsAt : instant(form.get("startsAt"), "startsAt"),
      endsAt: before && !form.get("endsAt") ? before.endsAt : instant(form.get("endsAt"), "endsAt"),
    });
    if (intent === "cancel") {
      await cancelSale(sql, shop.id, saleId, actor);
      await recordAudit(sql, { shopId: shop.id, actor, action: "price_schedule.cancel", target: saleId, before, after: { cancelled: true } });
      return { message: `${before?.name ?? "The sale"} cancelled: none of its prices will reach the store.` } satisfies ActionResult;
    }
    if (intent === "create") {
      const sale = { ...terms(), createdBy: actor };
      const { saleId: created, versions } = await createSale(sql, shop.id, sale);
      await recordAudit(sql, { shopId: shop.id, actor, action: "price_schedule.create", target: created, after: { ...sale, versions } });
      return { message: `${sale.name} scheduled for ${sale.skus.length} item(s).` } satisfies ActionResult;
    }
    if (intent === "edit") {
      const { skus, ...rest } = terms(before);
      // No SKUs given: the sale keeps its items.
      const changes = skus.length > 0 ? { ...rest, skus } : rest;
      await updateSale(sql, shop.id, saleId, changes, actor);
      await recordAudit(sql, { shopId: shop.id, actor, action: "price_schedule.edit", target: saleId, before, after: changes });
      return { message: `${changes.name} updated.` } satisfies ActionResult;
    }
    return Response.json({ error: "Unknown action" }, { status: 400 });
  } catch (error) {
    if (error instanceof LockstepError) {
      const field = (error.details as { field?: string } | undefined)?.field ?? FIELD_OF[error.code];
      return Response.json({ error: error.message, field } satisfies ActionResult, { status: error.status });
    }
    throw error;
  }
};

const STATUS_TONE = { upcoming: "info", active: "success", ended: undefined, cancelled: undefined } as const;
const when = (value: string | null) => (value ? value.slice(0, 16).replace("T", " ") : "open");
const lag = (ms: number | null) => (ms === null ? "–" : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
/** An instant as a datetime-local value in UTC. */
const local = (value: string) => value.slice(0, 16);

function SaleForm({ editing, result, busy }: { editing: { id: string; name: string; kind: string; value: string; startsAt: string; endsAt: string; itemCount: number } | null; result?: ActionResult; busy: boolean }) {
  const soon = new Date(Date.now() + 24 * 3_600_000).toISOString();
  const later = new Date(Date.now() + 4 * 24 * 3_600_000).toISOString();
  const [name, setName] = useState(editing?.name ?? "");
  const [skus, setSkus] = useState("");
  const [kind, setKind] = useState(editing?.kind ?? "percent");
  const [value, setValue] = useState(editing ? String(Number(editing.value)) : "");
  const [startsAt, setStartsAt] = useState(local(editing?.startsAt ?? soon));
  const [endsAt, setEndsAt] = useState(local(editing?.endsAt ?? later));
  const errorOf = (field: string) => (result?.field === field ? result.error : undefined);
  return (
    <Form method="post">
      <input type="hidden" name="intent" value={editing ? "edit" : "create"} />
      {editing && <input type="hidden" name="sale" value={editing.id} />}
      <FormLayout>
        <TextField label="Name" name="name" value={name} onChange={setName} autoComplete="off" error={errorOf("name")} />
        <TextField
          label={editing ? `Items (SKUs; leave empty to keep its ${editing.itemCount})` : "Items (SKUs, one a line or comma-separated)"}
          name="skus" value={skus} onChange={setSkus} multiline={3} autoComplete="off" error={errorOf("skus")} />
        <FormLayout.Group>
          <Select
            label="Sale price"
            name="kind"
            options={[
              { label: "Percentage off", value: "percent" },
              { label: "Fixed price", value: "amount" },
            ]}
            value={kind}
            onChange={setKind}
          />
          <TextField label={kind === "percent" ? "Percent off" : "Price"} name="value" value={value} onChange={setValue} autoComplete="off" inputMode="decimal" error={errorOf("value")} />
        </FormLayout.Group>
        <FormLayout.Group>
          <TextField label="Starts (UTC)" type="datetime-local" name="startsAt" value={startsAt} onChange={setStartsAt} autoComplete="off" error={errorOf("startsAt")} />
          <TextField
            label="Ends (UTC)"
            type="datetime-local"
            name="endsAt"
            value={endsAt}
            onChange={setEndsAt}
            autoComplete="off"
            error={errorOf("endsAt") ?? (endsAt && startsAt && endsAt <= startsAt ? "A sale ends after it starts" : undefined)}
          />
        </FormLayout.Group>
        <InlineStack gap="200">
          <Button submit variant="primary" loading={busy}>
            {editing ? "Save sale" : "Schedule sale"}
          </Button>
          {editing && <Button url="/app/prices">Cancel editing</Button>}
        </InlineStack>
      </FormLayout>
    </Form>
  );
}

export default function Prices() {
  const { sku, sales, editing, history } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  const navigation = useNavigation();
  const [lookup, setLookup] = useState(sku);
  const busy = navigation.state === "submitting";
  const groups = (["upcoming", "active", "ended", "cancelled"] as const).map((status) => ({ status, sales: sales.filter((sale) => sale.status === status) }));
  return (
    <SingleColumnPage title="Prices" subtitle="Scheduled sales and every item's price history">
      <ActionOutcome success={result?.message} error={result?.error} />
      <SectionCard title={editing ? `Edit ${editing.name}` : "Schedule a sale"}>
        <SaleForm key={editing?.id ?? "new"} editing={editing} result={result} busy={busy} />
      </SectionCard>
      {sales.length === 0 ? (
        <Card>
          <EmptyState heading="No sale scheduled" image="">
            <p>A sale sets its items' price for a window and restores the price before it at the end, to the millisecond.</p>
          </EmptyState>
        </Card>
      ) : (
        groups
          .filter((group) => group.sales.length > 0)
          .map((group) => (
            <SectionCard key={group.status} title={`${group.status[0]!.toUpperCase()}${group.status.slice(1)} sales`}>
              <DataTable
                columnContentTypes={["text", "text", "text", "text", "numeric", "text", "text"]}
                headings={["Sale", "Price", "Starts (UTC)", "Ends (UTC)", "Items", "Activation lag (max)", ""]}
                rows={group.sales.map((sale) => [
                  <InlineStack key="name" gap="100">
                    <Text as="span">{sale.name}</Text>
                    <Badge tone={STATUS_TONE[sale.status]}>{sale.status}</Badge>
                  </InlineStack>,
                  sale.kind === "percent" ? `${Number(sale.value)} % off` : Number(sale.value).toFixed(2),
                  when(sale.startsAt),
                  when(sale.endsAt),
                  `${sale.activated}/${sale.itemCount}`,
                  lag(sale.maxLagMs),
                  sale.status === "upcoming" ? (
                    <InlineStack key="actions" gap="100">
                      <Button url={`/app/prices?edit=${sale.id}`} size="slim" accessibilityLabel={`Edit ${sale.name}`}>
                        Edit
                      </Button>
                      <Form method="post">
                        <input type="hidden" name="intent" value="cancel" />
                        <input type="hidden" name="sale" value={sale.id} />
                        <Button submit size="slim" tone="critical" accessibilityLabel={`Cancel ${sale.name}`}>
                          Cancel
                        </Button>
                      </Form>
                    </InlineStack>
                  ) : (
                    ""
                  ),
                ])}
              />
            </SectionCard>
          ))
      )}
      <SectionCard title="Price history">
        <Form method="get">
          <InlineStack gap="200" blockAlign="end">
            <TextField label="SKU" name="sku" value={lookup} onChange={setLookup} autoComplete="off" />
            <Button submit>Show history</Button>
          </InlineStack>
        </Form>
        {sku &&
          (history.length === 0 ? (
            <Text as="p">{`No price recorded for ${sku}.`}</Text>
          ) : (
            <DataTable
              columnContentTypes={["text", "text", "numeric", "numeric", "text", "text", "text", "text", "text"]}
              headings={["Version", "List", "Price", "Compare at", "From (UTC)", "To (UTC)", "Source", "Activation", "Lag"]}
              rows={history.map((row) => [
                `#${row.version}${row.supersededAt ? " (superseded)" : ""}`,
                row.list,
                `${Number(row.amount).toFixed(2)} ${row.currency}`,
                row.compareAt === null ? "–" : Number(row.compareAt).toFixed(2),
                when(row.validFrom),
                when(row.validTo),
                `${row.source} · ${row.createdBy}`,
                row.activation ?? "–",
                lag(row.lagMs),
              ])}
            />
          ))}
      </SectionCard>
    </SingleColumnPage>
  );
}
