-- CreateTable
CREATE TABLE "PaymentOrder" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tradeNo" TEXT NOT NULL,
    "userId" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "method" TEXT NOT NULL DEFAULT '',
    "currency" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "quota" BIGINT NOT NULL,
    "bonusQuota" BIGINT NOT NULL DEFAULT 0,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "providerRef" TEXT,
    "paymentRef" TEXT,
    "checkoutUrl" TEXT,
    "source" TEXT NOT NULL,
    "chatUserId" TEXT,
    "locale" TEXT NOT NULL DEFAULT 'en',
    "refundedAmount" BIGINT NOT NULL DEFAULT 0,
    "disputedAmount" BIGINT NOT NULL DEFAULT 0,
    "quotaReclaimed" BIGINT NOT NULL DEFAULT 0,
    "quotaUnrecovered" BIGINT NOT NULL DEFAULT 0,
    "paidBy" INTEGER,
    "note" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "paidAt" DATETIME,
    "refundedAt" DATETIME,
    "notifiedAt" DATETIME,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "PaymentEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "provider" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "orderId" INTEGER,
    "outcome" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "PaymentSetting" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "PaymentSecret" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "sealed" TEXT NOT NULL,
    "mask" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "PaymentOrder_tradeNo_key" ON "PaymentOrder"("tradeNo");

-- CreateIndex
CREATE INDEX "PaymentOrder_userId_createdAt_idx" ON "PaymentOrder"("userId", "createdAt");

-- CreateIndex
CREATE INDEX "PaymentOrder_status_expiresAt_idx" ON "PaymentOrder"("status", "expiresAt");

-- CreateIndex
CREATE INDEX "PaymentOrder_createdAt_idx" ON "PaymentOrder"("createdAt");

-- CreateIndex
CREATE INDEX "PaymentOrder_paymentRef_idx" ON "PaymentOrder"("paymentRef");

-- CreateIndex
CREATE INDEX "PaymentOrder_paidAt_idx" ON "PaymentOrder"("paidAt");

-- CreateIndex
CREATE UNIQUE INDEX "PaymentEvent_provider_eventId_key" ON "PaymentEvent"("provider", "eventId");
