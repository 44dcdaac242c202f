-- AlterTable
ALTER TABLE "Channel" ADD COLUMN     "consecutiveFailures" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "cooldownUntil" TIMESTAMP(3),
ADD COLUMN     "lastError" TEXT,
ADD COLUMN     "lastErrorAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "UsageLog" ADD COLUMN     "attempts" TEXT;
