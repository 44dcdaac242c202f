-- AlterTable (columns added in place: the usage log can be large, so no table rebuild)
ALTER TABLE "UsageLog" ADD COLUMN "usageSource" TEXT NOT NULL DEFAULT '';
ALTER TABLE "UsageLog" ADD COLUMN "writeOff" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "UsageLog" ADD COLUMN "detail" TEXT NOT NULL DEFAULT '';
