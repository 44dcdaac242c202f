-- DropIndex
DROP INDEX "UsageLog_channelId_createdAt_idx";
