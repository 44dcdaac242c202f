-- CreateTable
CREATE TABLE "ResponseAffinity" (
    "responseId" TEXT NOT NULL PRIMARY KEY,
    "userId" INTEGER NOT NULL,
    "channelId" INTEGER NOT NULL,
    "keyId" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "ResponseItem" (
    "itemId" TEXT NOT NULL PRIMARY KEY,
    "userId" INTEGER NOT NULL,
    "item" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "ResponseAffinity_createdAt_idx" ON "ResponseAffinity"("createdAt");

-- CreateIndex
CREATE INDEX "ResponseItem_createdAt_idx" ON "ResponseItem"("createdAt");
