-- AlterTable
ALTER TABLE "User" ADD COLUMN     "chatReceipts" BOOLEAN;

-- CreateTable
CREATE TABLE "ChatPreference" (
    "platform" TEXT NOT NULL,
    "platformUserId" TEXT NOT NULL,
    "lang" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChatPreference_pkey" PRIMARY KEY ("platform","platformUserId")
);

-- CreateTable
CREATE TABLE "ChatState" (
    "platform" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "platformUserId" TEXT NOT NULL,
    "chatMode" BOOLEAN NOT NULL DEFAULT false,
    "choices" TEXT NOT NULL DEFAULT '[]',
    "choicesAt" TIMESTAMP(3),
    "pendingReply" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChatState_pkey" PRIMARY KEY ("platform","chatId","platformUserId")
);

-- CreateTable
CREATE TABLE "SignInCode" (
    "codeHash" TEXT NOT NULL,
    "userId" INTEGER NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SignInCode_pkey" PRIMARY KEY ("codeHash")
);

-- CreateTable
CREATE TABLE "BotNotice" (
    "id" SERIAL NOT NULL,
    "platform" TEXT NOT NULL,
    "platformUserId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),

    CONSTRAINT "BotNotice_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SignInCode_userId_idx" ON "SignInCode"("userId");

-- CreateIndex
CREATE INDEX "BotNotice_platform_sentAt_idx" ON "BotNotice"("platform", "sentAt");
