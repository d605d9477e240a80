-- The lease claim every queue shares (app/db/claimDueRows.ts) takes the lowest ids among the rows
-- still to do. By the primary key it stepped over every finished row first (EXPLAIN ANALYZE: 20,000
-- rows removed by the filter to claim 50, 7 ms; the inbox keeps finished rows for 14 days). These
-- indexes hold only the rows still to do, in id order. Partial indexes are not in prisma/schema/
-- (Prisma's schema cannot express them; its diff leaves them alone, test/db/migrations.test.ts).
CREATE INDEX "webhook_inbox_due_id_idx" ON "webhook_inbox"("id") WHERE "state" IN ('pending', 'processing');
CREATE INDEX "webhook_outbox_due_id_idx" ON "webhook_outbox"("id") WHERE "state" IN ('pending', 'processing');
CREATE INDEX "destination_event_due_id_idx" ON "destination_event"("id") WHERE "state" IN ('pending', 'processing');
CREATE INDEX "price_activation_due_id_idx" ON "price_activation"("id") WHERE "state" IN ('pending', 'processing');
