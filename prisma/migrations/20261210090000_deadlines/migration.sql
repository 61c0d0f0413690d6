-- CreateTable
CREATE TABLE "Deadline" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tenantId" TEXT NOT NULL,
    "dossierId" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "dueAt" DATETIME NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'autre',
    "source" TEXT NOT NULL DEFAULT 'manual',
    "status" TEXT NOT NULL DEFAULT 'confirmed',
    "done" BOOLEAN NOT NULL DEFAULT false,
    "doneAt" DATETIME,
    "sourceKey" TEXT,
    "reminderVersion" INTEGER NOT NULL DEFAULT 0,
    "remindersPending" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Deadline_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Deadline_dossierId_fkey" FOREIGN KEY ("dossierId") REFERENCES "Dossier" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Deadline_tenantId_dueAt_idx" ON "Deadline"("tenantId", "dueAt");

-- CreateIndex
CREATE INDEX "Deadline_dossierId_dueAt_idx" ON "Deadline"("dossierId", "dueAt");

-- CreateIndex
CREATE INDEX "Deadline_remindersPending_dueAt_idx" ON "Deadline"("remindersPending", "dueAt");

-- CreateIndex
CREATE UNIQUE INDEX "Deadline_dossierId_sourceKey_key" ON "Deadline"("dossierId", "sourceKey");

