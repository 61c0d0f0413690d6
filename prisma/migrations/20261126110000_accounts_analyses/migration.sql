-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "passwordHash" TEXT NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'AVOCAT',
    "tenantId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "User_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Analysis" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "dossierId" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'QUEUED',
    "pendingFor" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "domain" TEXT,
    "urgency" TEXT,
    "urgencyReason" TEXT,
    "summary" TEXT,
    "keyDates" TEXT,
    "amounts" TEXT,
    "analyzer" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "completedAt" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Analysis_dossierId_fkey" FOREIGN KEY ("dossierId") REFERENCES "Dossier" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Analysis_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Tenant" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "plan" TEXT NOT NULL DEFAULT 'FREE',
    "referencePrefix" TEXT NOT NULL DEFAULT 'DOS',
    "referenceSeq" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_Tenant" ("createdAt", "id", "name", "plan") SELECT "createdAt", "id", "name", "plan" FROM "Tenant";
UPDATE "new_Tenant" SET "plan" = 'FREE' WHERE "plan" NOT IN ('FREE', 'PREMIUM');
DROP TABLE "Tenant";
ALTER TABLE "new_Tenant" RENAME TO "Tenant";
CREATE TABLE "new_Dossier" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tenantId" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "clientName" TEXT NOT NULL DEFAULT '',
    "description" TEXT,
    "status" TEXT NOT NULL DEFAULT 'OPEN',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Dossier_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Dossier" ("createdAt", "id", "reference", "status", "tenantId", "title", "updatedAt") SELECT "createdAt", "id", "reference", "status", "tenantId", "title", "updatedAt" FROM "Dossier";
-- Data: statuses were free text before; anything outside the enum becomes OPEN.
UPDATE "new_Dossier" SET "status" = 'OPEN' WHERE "status" NOT IN ('OPEN', 'IN_PROGRESS', 'CLOSED', 'ARCHIVED');
DROP TABLE "Dossier";
ALTER TABLE "new_Dossier" RENAME TO "Dossier";
CREATE INDEX "Dossier_tenantId_status_idx" ON "Dossier"("tenantId", "status");
CREATE INDEX "Dossier_tenantId_createdAt_idx" ON "Dossier"("tenantId", "createdAt");
CREATE UNIQUE INDEX "Dossier_tenantId_reference_key" ON "Dossier"("tenantId", "reference");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE INDEX "User_tenantId_idx" ON "User"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "Analysis_pendingFor_key" ON "Analysis"("pendingFor");

-- CreateIndex
CREATE INDEX "Analysis_dossierId_createdAt_idx" ON "Analysis"("dossierId", "createdAt");

-- CreateIndex
CREATE INDEX "Analysis_tenantId_idx" ON "Analysis"("tenantId");

