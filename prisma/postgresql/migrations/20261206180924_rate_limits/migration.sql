-- AlterTable
ALTER TABLE "Token" ADD COLUMN     "maxConcurrent" INTEGER,
ADD COLUMN     "rpm" INTEGER,
ADD COLUMN     "tpm" INTEGER;

-- AlterTable
ALTER TABLE "Group" ADD COLUMN     "rpm" INTEGER,
ADD COLUMN     "tpm" INTEGER;
