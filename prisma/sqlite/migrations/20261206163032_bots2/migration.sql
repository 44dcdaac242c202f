-- AlterTable
ALTER TABLE "User" ADD COLUMN "chatReceipts" BOOLEAN;

-- CreateTable
CREATE TABLE "ChatPreference" (
    "platform" TEXT NOT NULL,
    "platformUserId" TEXT NOT NULL,
    "lang" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("platform", "platformUserId")
);

-- CreateTable
CREATE TABLE "ChatState" (
    "platform" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "platformUserId" TEXT NOT NULL,
    "chatMode" BOOLEAN NOT NULL DEFAULT false,
    "choices" TEXT NOT NULL DEFAULT '[]',
    "choicesAt" DATETIME,
    "pendingReply" TEXT,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("platform", "chatId", "platformUserId")
);

-- CreateTable
CREATE TABLE "SignInCode" (
    "codeHash" TEXT NOT NULL PRIMARY KEY,
    "userId" INTEGER NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "BotNotice" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "platform" TEXT NOT NULL,
    "platformUserId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" DATETIME
);

-- CreateIndex
CREATE INDEX "SignInCode_userId_idx" ON "SignInCode"("userId");

-- CreateIndex
CREATE INDEX "BotNotice_platform_sentAt_idx" ON "BotNotice"("platform", "sentAt");
