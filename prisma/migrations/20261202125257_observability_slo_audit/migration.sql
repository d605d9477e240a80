-- CreateTable
CREATE TABLE "process_metrics" (
    "process_id" TEXT NOT NULL,
    "metrics" JSONB NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "process_metrics_pkey" PRIMARY KEY ("process_id")
);

-- CreateTable
CREATE TABLE "latency_rollup" (
    "shop_id" UUID NOT NULL,
    "domain" TEXT NOT NULL,
    "stage" TEXT NOT NULL,
    "target" TEXT NOT NULL DEFAULT '',
    "minute" TIMESTAMPTZ(0) NOT NULL,
    "count" INTEGER NOT NULL,
    "sum_ms" DOUBLE PRECISION NOT NULL,
    "max_ms" DOUBLE PRECISION NOT NULL,
    "buckets" INTEGER[],

    CONSTRAINT "latency_rollup_pkey" PRIMARY KEY ("shop_id","domain","stage","target","minute")
);

-- CreateTable
CREATE TABLE "slo_policy" (
    "shop_id" UUID NOT NULL,
    "objectives" JSONB NOT NULL DEFAULT '{}',
    "notify_url" TEXT,
    "notify_secret_sealed" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slo_policy_pkey" PRIMARY KEY ("shop_id")
);

-- CreateTable
CREATE TABLE "slo_state" (
    "shop_id" UUID NOT NULL,
    "objective" TEXT NOT NULL,
    "breached" BOOLEAN NOT NULL DEFAULT false,
    "streak" INTEGER NOT NULL DEFAULT 0,
    "incident_id" BIGINT,
    "value" DOUBLE PRECISION,
    "evaluated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "slo_state_pkey" PRIMARY KEY ("shop_id","objective")
);

-- CreateTable
CREATE TABLE "slo_incident" (
    "id" BIGSERIAL NOT NULL,
    "shop_id" UUID NOT NULL,
    "objective" TEXT NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "worst_value" DOUBLE PRECISION NOT NULL,
    "opened_at" TIMESTAMPTZ(3) NOT NULL,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "slo_incident_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "slo_notification" (
    "id" BIGSERIAL NOT NULL,
    "incident_id" BIGINT NOT NULL,
    "shop_id" UUID NOT NULL,
    "event" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "sent_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slo_notification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "process_lease" (
    "name" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "lease_until" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "process_lease_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "audit_entry" (
    "id" BIGSERIAL NOT NULL,
    "shop_id" UUID NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL DEFAULT '',
    "before" JSONB,
    "after" JSONB,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_entry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "process_metrics_updated_at_idx" ON "process_metrics"("updated_at");

-- CreateIndex
CREATE INDEX "latency_rollup_minute_idx" ON "latency_rollup"("minute");

-- CreateIndex
CREATE INDEX "slo_incident_shop_id_opened_at_idx" ON "slo_incident"("shop_id", "opened_at");

-- CreateIndex
CREATE INDEX "slo_notification_sent_at_idx" ON "slo_notification"("sent_at");

-- CreateIndex
CREATE UNIQUE INDEX "slo_notification_incident_id_event_key" ON "slo_notification"("incident_id", "event");

-- CreateIndex
CREATE INDEX "audit_entry_shop_id_at_idx" ON "audit_entry"("shop_id", "at");

-- CreateIndex
CREATE INDEX "audit_entry_shop_id_action_at_idx" ON "audit_entry"("shop_id", "action", "at");
