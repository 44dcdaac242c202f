-- CreateTable
CREATE TABLE "ChannelKey" (
    "id" SERIAL NOT NULL,
    "channelId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "secret" TEXT NOT NULL,
    "mask" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'enabled',
    "disabledReason" TEXT,
    "disabledAt" TIMESTAMP(3),
    "consecutiveFailures" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "lastErrorAt" TIMESTAMP(3),
    "cooldownUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChannelKey_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ChannelKey_channelId_position_idx" ON "ChannelKey"("channelId", "position");

-- AddForeignKey
ALTER TABLE "ChannelKey" ADD CONSTRAINT "ChannelKey_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "Channel"("id") ON DELETE CASCADE ON UPDATE CASCADE;
