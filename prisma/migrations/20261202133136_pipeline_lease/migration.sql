-- CreateTable
CREATE TABLE "pipeline_lease" (
    "name" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "lease_until" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "pipeline_lease_pkey" PRIMARY KEY ("name")
);
