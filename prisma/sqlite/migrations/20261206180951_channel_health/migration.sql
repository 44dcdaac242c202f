-- AlterTable
ALTER TABLE "UsageLog" ADD COLUMN "attempts" TEXT;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Channel" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "baseUrl" TEXT NOT NULL,
    "keys" TEXT NOT NULL DEFAULT '[]',
    "disabledKeys" TEXT NOT NULL DEFAULT '{}',
    "models" TEXT NOT NULL DEFAULT '[]',
    "modelMapping" TEXT NOT NULL DEFAULT '{}',
    "groups" TEXT NOT NULL DEFAULT '["default"]',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "weight" INTEGER NOT NULL DEFAULT 1,
    "status" TEXT NOT NULL DEFAULT 'enabled',
    "disabledReason" TEXT,
    "disabledAt" DATETIME,
    "config" TEXT NOT NULL DEFAULT '{}',
    "testedAt" DATETIME,
    "responseTimeMs" INTEGER,
    "consecutiveFailures" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "lastErrorAt" DATETIME,
    "cooldownUntil" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Channel" ("baseUrl", "config", "createdAt", "disabledAt", "disabledKeys", "disabledReason", "groups", "id", "keys", "modelMapping", "models", "name", "priority", "responseTimeMs", "status", "testedAt", "type", "updatedAt", "weight") SELECT "baseUrl", "config", "createdAt", "disabledAt", "disabledKeys", "disabledReason", "groups", "id", "keys", "modelMapping", "models", "name", "priority", "responseTimeMs", "status", "testedAt", "type", "updatedAt", "weight" FROM "Channel";
DROP TABLE "Channel";
ALTER TABLE "new_Channel" RENAME TO "Channel";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
