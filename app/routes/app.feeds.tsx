import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Badge, Banner, BlockStack, Button, Card, DataTable, EmptyState, InlineStack, Page, Select, Text, TextField } from "@shopify/polaris";
import { useState } from "react";
import { recordAudit } from "../audit/audit.server";
import { listDestinations } from "../batching/destinations.server";
import { listRunItems } from "../batching/sql/listRunItems";
import { listRuns } from "../batching/sql/listRuns";
import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import { FEED_FILE_NAMES } from "../feeds/google/adapter.server";
import { listFeedSnapshots } from "../feeds/google/sql/listFeedSnapshots";
import { listFeedTokens } from "../feeds/google/sql/listFeedTokens";
import { readFeedState } from "../feeds/google/sql/readFeedState";
import { revokeFeedTokenById } from "../feeds/google/sql/revokeFeedTokenById";
import { rotateFeedToken } from "../feeds/google/tokens.server";
import { openFeedAlerts } from "../feeds/google/watchdog.server";
import { SectionCard } from "../components/SectionCard";
import { SingleColumnPage } from "../components/SingleColumnPage";
import { ActionOutcome } from "../components/ActionOutcome";
import { ShowOneOf } from "../components/ShowOneOf";
import { authenticateStaff } from "../staff/authenticateStaff.server";
import { readForm } from "../staff/readForm.server";

export const meta: MetaFunction = () => [{ title: "Lockstep — feeds" }];

/** How long the replaced token keeps working after a rotation, so Merchant Center's next fetch still succeeds. */
const OVERLAP_HOURS = ["1", "24", "72"] as const;

/** The services this route uses, looked up in one place. */
function services(context: AppContext) {
  return { sql: context.db.sql, appUrl: context.config.shopifyApp?.appUrl };
}

/** This shop's marketplace feeds (fetched by the marketplace, so they have a URL and tokens). */
async function feedsOf(sql: AppContext["db"]["sql"], shopId: string) {
  return (await listDestinations(sql, shopId)).filter((destination) => destination.kind === "google_feed");
}

const iso = (value: Date | string | null) => (value ? new Date(value).toISOString() : null);

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { shop } = await authenticateStaff(request, context);
  const { sql, appUrl } = services(context);
  const url = new URL(request.url);
  const feeds = await feedsOf(sql, shop.id);
  // Another shop's feed id falls back to the first of ours: only this shop's feeds can be shown.
  const feed = feeds.find((candidate) => candidate.id === url.searchParams.get("feed")) ?? feeds[0];
  if (!feed) return { feeds: [], feed: null };
  const [state, tokens, snapshots, [lastRun], alerts] = await Promise.all([
    readFeedState(sql, feed.id),
    listFeedTokens(sql, feed.id),
    listFeedSnapshots(sql, feed.id),
    listRuns(sql, feed.id, 1),
    openFeedAlerts(sql, shop.id),
  ]);
  const rejected = lastRun ? await listRunItems(sql, feed.id, lastRun.id, ["rejected", "invalid"]) : [];
  const now = Date.now();
  return {
    feeds: feeds.map((candidate) => ({ id: candidate.id, name: candidate.name })),
    feed: {
      id: feed.id,
      name: feed.name,
      mode: feed.mode,
      enabled: feed.enabled,
      // The token is part of the path and is shown only once, when issued: the page shows where it goes.
      urlTemplate: `${appUrl ?? url.origin}/feeds/${feed.id}/{token}/${FEED_FILE_NAMES.xml}`,
      publishedAt: iso(state.publishedAt),
      lastFetchedAt: iso(state.lastFetchedAt),
      tokens: tokens.map((token) => ({
        id: token.id,
        createdAt: iso(token.createdAt)!,
        expiresAt: iso(token.expiresAt),
        status: token.revokedAt ? "revoked" : token.expiresAt && new Date(token.expiresAt).getTime() <= now ? "expired" : token.expiresAt ? "overlap" : "active",
      })),
      snapshots: snapshots.map((snapshot) => ({ ...snapshot, createdAt: iso(snapshot.createdAt)!, readyAt: iso(snapshot.readyAt) })),
      lastRun: lastRun ? { id: lastRun.id, status: lastRun.status, sent: lastRun.sent, rejected: lastRun.rejected, startedAt: iso(lastRun.startedAt)! } : null,
      rejected,
      alerts: alerts.filter((alert) => alert.destinationId === feed.id).map((alert) => ({ kind: alert.kind, message: alert.message })),
    },
  };
};

interface ActionResult {
  error?: string;
  message?: string;
  /** A newly issued feed URL with its token: shown once. */
  url?: string;
}

export const action = async ({ request, context }: ActionFunctionArgs) => {
  const { shop, actor } = await authenticateStaff(request, context);
  const { sql, appUrl } = services(context);
  const form = await readForm(request);
  const intent = String(form.get("intent") ?? "");
  const id = String(form.get("feed") ?? "");
  try {
    const feed = (await feedsOf(sql, shop.id)).find((candidate) => candidate.id === id);
    if (!feed) throw new LockstepError("destination_not_found", "No feed with this id");
    const now = new Date();
    if (intent === "rotate") {
      const hours = String(form.get("overlapHours") ?? "24");
      if (!(OVERLAP_HOURS as readonly string[]).includes(hours)) return Response.json({ error: `Overlap must be one of ${OVERLAP_HOURS.join(", ")} hours` }, { status: 400 });
      const token = await sql.transaction(async (tx) => {
        const issued = await rotateFeedToken(tx, feed.id, Number(hours) * 3_600_000, now);
        await recordAudit(tx, { shopId: shop.id, actor, action: "feed_token.rotate", target: feed.id, after: { overlapHours: Number(hours) } }, now);
        return issued;
      });
      const origin = appUrl ?? new URL(request.url).origin;
      return {
        message: `New URL issued for ${feed.name}. The previous one keeps working for ${hours} h: paste the new one into Merchant Center before then.`,
        url: `${origin}/feeds/${feed.id}/${token}/${FEED_FILE_NAMES.xml}`,
      } satisfies ActionResult;
    }
    if (intent === "revoke") {
      const tokenId = String(form.get("token") ?? "");
      if (!/^\d{1,18}$/.test(tokenId)) return Response.json({ error: "Pick a token to revoke" }, { status: 400 });
      const revoked = await sql.transaction(async (tx) => {
        const done = await revokeFeedTokenById(tx, feed.id, tokenId, now);
        if (done) await recordAudit(tx, { shopId: shop.id, actor, action: "feed_token.revoke", target: feed.id, after: { tokenId } }, now);
        return done;
      });
      if (!revoked) return Response.json({ error: "That token is already revoked" }, { status: 409 });
      return { message: `Token #${tokenId} of ${feed.name} revoked: fetches with it now get 404.` } satisfies ActionResult;
    }
    return Response.json({ error: "Unknown action" }, { status: 400 });
  } catch (error) {
    if (error instanceof LockstepError) return Response.json({ error: error.message }, { status: error.status });
    throw error;
  }
};

const TOKEN_TONE = { active: "success", overlap: "attention", expired: undefined, revoked: undefined } as const;
const SNAPSHOT_TONE = { published: "success", ready: "info", building: "attention", discarded: undefined } as const;
const when = (value: string | null) => (value ? value.slice(0, 19).replace("T", " ") + " UTC" : "never");

function CopyableUrl({ url }: { url: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      // Without clipboard access (an insecure origin) the field is selected for a manual copy.
      (document.getElementById("feed-url") as HTMLInputElement | null)?.select();
    }
  };
  return (
    <InlineStack gap="200" blockAlign="end" wrap={false}>
      <div style={{ flexGrow: 1 }}>
        <TextField id="feed-url" label="Feed URL" value={url} readOnly autoComplete="off" onChange={() => undefined} />
      </div>
      <Button onClick={copy}>{copied ? "Copied" : "Copy"}</Button>
    </InlineStack>
  );
}

export default function Feeds() {
  const { feeds, feed } = useLoaderData<typeof loader>();
  const result = useActionData<ActionResult>();
  const navigation = useNavigation();
  const [overlap, setOverlap] = useState("24");
  if (!feed) {
    return (
      <Page title="Feeds">
        <Card>
          <EmptyState heading="No marketplace feed yet" action={{ content: "Add a Google Merchant feed", url: "/app/connections" }} image="">
            <p>A feed is a connection of kind Google Merchant feed: Merchant Center fetches its URL on a schedule.</p>
          </EmptyState>
        </Card>
      </Page>
    );
  }
  const busy = navigation.state === "submitting";
  return (
    <SingleColumnPage title="Feeds" subtitle={`${feed.name} · ${feed.mode}${feed.enabled ? "" : " · paused"}`}>
      <ActionOutcome success={result?.message} error={result?.error} />
      {feed.alerts.map((alert) => (
        <Banner key={alert.kind} tone="warning">
          {alert.message}
        </Banner>
      ))}
      {feeds.length > 1 && (
        <ShowOneOf label="Feed" name="feed" items={feeds} selected={feed.id} />
      )}
      <SectionCard title="URL">
        {result?.url ? (
          <BlockStack gap="200">
            <CopyableUrl url={result.url} />
            <Text as="p" tone="subdued">
              Shown once: only a hash of the token is kept.
            </Text>
          </BlockStack>
        ) : (
          <Text as="p">
            <code>{feed.urlTemplate}</code>
          </Text>
        )}
        <Text as="p" tone="subdued">{`Last fetched by the marketplace: ${when(feed.lastFetchedAt)} · last published: ${when(feed.publishedAt)}`}</Text>
        <Form method="post">
          <input type="hidden" name="intent" value="rotate" />
          <input type="hidden" name="feed" value={feed.id} />
          <InlineStack gap="200" blockAlign="end">
            <Select
              label="The current URL keeps working for"
              name="overlapHours"
              options={[
                { label: "1 hour", value: "1" },
                { label: "24 hours", value: "24" },
                { label: "72 hours", value: "72" },
              ]}
              value={overlap}
              onChange={setOverlap}
            />
            <Button submit variant="primary" loading={busy}>
              Rotate token
            </Button>
          </InlineStack>
        </Form>
      </SectionCard>
      <SectionCard title="Tokens">
        {feed.tokens.length === 0 ? (
          <Text as="p">No token yet: rotate to issue the feed's first URL.</Text>
        ) : (
          <DataTable
            columnContentTypes={["text", "text", "text", "text", "text"]}
            headings={["Token", "Issued", "Status", "Works until", ""]}
            rows={feed.tokens.map((token) => [
              `#${token.id}`,
              when(token.createdAt),
              <Badge key="status" tone={TOKEN_TONE[token.status as keyof typeof TOKEN_TONE]}>
                {token.status}
              </Badge>,
              token.status === "active" ? "until rotated" : token.expiresAt ? when(token.expiresAt) : "–",
              token.status === "active" || token.status === "overlap" ? (
                <Form key="revoke" method="post">
                  <input type="hidden" name="intent" value="revoke" />
                  <input type="hidden" name="feed" value={feed.id} />
                  <input type="hidden" name="token" value={token.id} />
                  <Button submit tone="critical" size="slim" accessibilityLabel={`Revoke token #${token.id}`}>
                    Revoke
                  </Button>
                </Form>
              ) : (
                ""
              ),
            ])}
          />
        )}
      </SectionCard>
      <SectionCard title="Snapshots">
        {feed.snapshots.length === 0 ? (
          <Text as="p">No snapshot built yet: the feed's first run builds one.</Text>
        ) : (
          <DataTable
            columnContentTypes={["text", "text", "text", "numeric", "numeric", "text"]}
            headings={["Snapshot", "Run", "Status", "Items", "XML bytes", "Ready"]}
            rows={feed.snapshots.map((snapshot) => [
              `#${snapshot.id}${snapshot.served ? " (served)" : ""}`,
              <a key="run" href={`/app/runs?destination=${feed.id}&run=${snapshot.runId}`}>{`#${snapshot.runId}`}</a>,
              <Badge key="status" tone={SNAPSHOT_TONE[snapshot.status as keyof typeof SNAPSHOT_TONE]}>
                {snapshot.status}
              </Badge>,
              snapshot.items,
              snapshot.xmlBytes,
              when(snapshot.readyAt),
            ])}
          />
        )}
      </SectionCard>
      <SectionCard title={feed.lastRun ? `Rejected in the last run (#${feed.lastRun.id}, ${feed.lastRun.status})` : "Rejected items"}>
        {feed.rejected.length === 0 ? (
          <Text as="p">{feed.lastRun ? "No item was rejected in the last run." : "No run yet."}</Text>
        ) : (
          <DataTable
            columnContentTypes={["text", "text", "text"]}
            headings={["SKU", "Outcome", "Reason"]}
            rows={feed.rejected.map((item) => [item.sku, item.outcome, item.reason ?? ""])}
          />
        )}
      </SectionCard>
    </SingleColumnPage>
  );
}
