-- CreateTable
CREATE TABLE "ResponseAffinity" (
    "responseId" TEXT NOT NULL,
    "userId" INTEGER NOT NULL,
    "channelId" INTEGER NOT NULL,
    "keyId" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ResponseAffinity_pkey" PRIMARY KEY ("responseId")
);

-- CreateTable
CREATE TABLE "ResponseItem" (
    "itemId" TEXT NOT NULL,
    "userId" INTEGER NOT NULL,
    "item" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ResponseItem_pkey" PRIMARY KEY ("itemId")
);

-- CreateIndex
CREATE INDEX "ResponseAffinity_createdAt_idx" ON "ResponseAffinity"("createdAt");

-- CreateIndex
CREATE INDEX "ResponseItem_createdAt_idx" ON "ResponseItem"("createdAt");
