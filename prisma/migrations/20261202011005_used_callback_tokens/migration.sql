-- CreateTable
CREATE TABLE "used_callback_token" (
    "jti" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "used_callback_token_pkey" PRIMARY KEY ("jti")
);

-- CreateIndex
CREATE INDEX "used_callback_token_expires_at_idx" ON "used_callback_token"("expires_at");
