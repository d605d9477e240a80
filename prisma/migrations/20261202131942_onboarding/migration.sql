-- CreateTable
CREATE TABLE "onboarding_dismissal" (
    "shop_id" UUID NOT NULL,
    "dismissed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "steps_done" TEXT[],

    CONSTRAINT "onboarding_dismissal_pkey" PRIMARY KEY ("shop_id")
);
