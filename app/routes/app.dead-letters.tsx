import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation, useRevalidator, useSearchParams } from "@remix-run/react";
import { Badge, BlockStack, Box, Button, Card, EmptyState, InlineStack, Text, TextField } from "@shopify/polaris";
import { useEffect, useState } from "react";
import { LockstepError } from "../config/errors";
import { errorResponse } from "../http/respond.server";
import { hasControlCharacters, isBigintId } from "../db/columnLimits";
import { recordAudit } from "../audit/audit.server";
import { SingleColumnPage } from "../components/SingleColumnPage";
import { ActionOutcome } from "../components/ActionOutcome";
import { authenticateStaff } from "../staff/authenticateStaff.server";
import { readForm } from "../staff/readForm.server";
import { listDeadLetters } from "../webhooks/sql/listDeadLetters";
import { OperationProgress } from "../components/OperationProgress";
import { progressOf } from "../observability/progress";
import { getReplayProgress } from "../observability/sql/getReplayProgress";
import { replayDeadLetters } from "../webhooks/sql/replayDeadLetters";

export const meta: MetaFunction = () => [{ title: "Lockstep — dead letters" }];

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const { shop } = await authenticateStaff(request, context);
  const topic = new URL(request.url).searchParams.get("topic")?.trim() || undefined;
  if (topic && hasControlCharacters(topic)) throw Response.json({ error: "The topic filter holds control characters" }, { status: 400 });
  const [deadLetters, replay] = await Promise.all([listDeadLetters(context.db.sql, { shopId: shop.id, topic, limit: 100 }), getReplayProgress(context.db.sql, shop.id)]);
  const now = new Date();
  return {
    topic: topic ?? "",
    // The last replay's rows: applied or dead again count as done; it is followed until none waits.
    replay: replay && {
      requestedBy: replay.requestedBy,
      waiting: replay.waiting,
      failedAgain: replay.dead,
      ...progressOf({ done: replay.applied + replay.dead, total: replay.total, startedAt: new Date(replay.createdAt), now, finished: replay.waiting === 0 }),
    },
    deadLetters: deadLetters.map((letter) => ({
      ...letter,
      receivedAt: new Date(letter.receivedAt).toISOString(),
      deadAt: letter.deadAt ? new Date(letter.deadAt).toISOString() : null,
      payload: letter.payload.length > 2_000 ? `${letter.payload.slice(0, 2_000)}…` : letter.payload,
    })),
  };
};

// Replays go back through the same pipeline, and the audit log records who asked and why.
export const action = async ({ request, context }: ActionFunctionArgs) => {
  const { shop, actor } = await authenticateStaff(request, context);
  const form = await readForm(request);
  const id = String(form.get("id") ?? "");
  const topic = String(form.get("topic") ?? "").trim();
  const reason = String(form.get("reason") ?? "").trim() || undefined;
  if (id && !isBigintId(id)) return errorResponse(new LockstepError("invalid_filter", "That dead letter id is not valid"));
  if (hasControlCharacters(topic) || (reason && hasControlCharacters(reason))) {
    return errorResponse(new LockstepError("invalid_filter", "The topic and the reason may not hold control characters"));
  }
  try {
    const { inboxIds } = await replayDeadLetters(context.db.sql, {
      selection: id ? { ids: [id], shopId: shop.id } : { shopId: shop.id, topic: topic || undefined },
      requestedBy: actor,
      reason,
    });
    await recordAudit(context.db.sql, {
      shopId: shop.id,
      actor,
      action: "dead_letters.replay",
      target: id,
      after: { selection: id ? { id } : { topic: topic || "all" }, reason: reason ?? null, replayed: inboxIds },
    });
    return { replayed: inboxIds.length };
  } catch (error) {
    return errorResponse(error);
  }
};

function when(iso: string | null): string {
  return iso ? `${iso.slice(0, 19).replace("T", " ")} UTC` : "–";
}

export default function DeadLetters() {
  const { deadLetters, topic, replay } = useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  // A replay of many is followed until none of its rows waits; it survives a reload (the replay is stored).
  const following = Boolean(replay && replay.waiting > 0);
  useEffect(() => {
    if (!following) return;
    const timer = setInterval(() => revalidator.state === "idle" && revalidator.revalidate(), 2000);
    return () => clearInterval(timer);
  }, [following, revalidator]);
  const result = useActionData<{ replayed?: number; error?: { message: string } }>();
  const navigation = useNavigation();
  const [, setSearchParams] = useSearchParams();
  const [filter, setFilter] = useState(topic);
  const [reason, setReason] = useState("");
  return (
    <SingleColumnPage title="Dead letters" subtitle="Webhook events that failed every attempt. Replay them once the cause is fixed.">
      <ActionOutcome success={result?.replayed !== undefined ? `${result.replayed} event(s) sent back for processing.` : undefined} error={result?.error?.message} />
      {replay && (
        <Card>
          <BlockStack gap="100">
            <OperationProgress label={`Last replay, asked by ${replay.requestedBy}`} progress={replay} unit="events" />
            {replay.failedAgain > 0 && <Text as="p" tone="critical">{`${replay.failedAgain} of them failed again and are listed below.`}</Text>}
          </BlockStack>
        </Card>
      )}
      <Card>
        <InlineStack gap="300" blockAlign="end">
          <Box minWidth="260px">
            <TextField label="Topic" placeholder="orders/create" value={filter} onChange={setFilter} autoComplete="off" />
          </Box>
          <Button onClick={() => setSearchParams(filter ? { topic: filter } : {})}>Filter</Button>
          <Box minWidth="260px">
            <TextField label="Reason (kept in the audit log)" value={reason} onChange={setReason} autoComplete="off" />
          </Box>
          <Form method="post">
            <input type="hidden" name="topic" value={topic} />
            <input type="hidden" name="reason" value={reason} />
            <Button submit variant="primary" disabled={deadLetters.length === 0} loading={navigation.state === "submitting"}>
              {topic ? `Replay all ${topic}` : "Replay all"}
            </Button>
          </Form>
        </InlineStack>
      </Card>
      {deadLetters.length === 0 ? (
        <Card>
          <EmptyState heading="No dead letters" image="">
            <p>Every webhook event was applied.</p>
          </EmptyState>
        </Card>
      ) : (
        deadLetters.map((letter) => (
          <Card key={letter.id}>
            <BlockStack gap="200">
              <InlineStack gap="200" blockAlign="center">
                <Text as="h3" variant="headingSm">
                  {letter.topic}
                </Text>
                <Badge tone="critical">{`${letter.attempts} attempts`}</Badge>
                {letter.replayCount > 0 && <Badge>{`replayed ${letter.replayCount}×`}</Badge>}
                <Text as="span" tone="subdued">
                  received {when(letter.receivedAt)} · dead {when(letter.deadAt)} · delivery {letter.deliveryId}
                </Text>
              </InlineStack>
              <Text as="p" tone="critical">
                {letter.lastError ?? "no error recorded"}
              </Text>
              <details>
                <summary>Attempts and payload</summary>
                <ul>
                  {letter.history.map((attempt) => (
                    <li key={attempt.attempt}>
                      #{attempt.attempt} at {when(attempt.failedAt)} by {attempt.workerId}: {attempt.error}
                    </li>
                  ))}
                </ul>
                <pre style={{ whiteSpace: "pre-wrap", wordBreak: "break-all" }}>{letter.payload}</pre>
              </details>
              <Form method="post">
                <input type="hidden" name="id" value={letter.id} />
                <input type="hidden" name="reason" value={reason} />
                <Button submit>Replay this event</Button>
              </Form>
            </BlockStack>
          </Card>
        ))
      )}
    </SingleColumnPage>
  );
}
