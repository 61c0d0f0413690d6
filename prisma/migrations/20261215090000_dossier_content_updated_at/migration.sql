-- AlterTable
ALTER TABLE "Dossier" ADD COLUMN "contentUpdatedAt" DATETIME;

