-- CreateTable
CREATE TABLE "ResponseAffinity" (
    "responseId" TEXT NOT NULL,
    "userId" INTEGER NOT NULL,
    "channelId" INTEGER NOT NULL,
    "keyId" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ResponseAffinity_pkey" PRIMARY KEY ("responseId")
);

-- CreateIndex
CREATE INDEX "ResponseAffinity_createdAt_idx" ON "ResponseAffinity"("createdAt");
