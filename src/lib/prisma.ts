import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'
import { z } from 'zod'
import { PrismaClient } from '@/generated/prisma/client'

/**
 * The app's Prisma client: one per process, engine-free (SQLite through the better-sqlite3 driver
 * adapter, so no engine binary is downloaded). Kept on globalThis so Next.js dev hot reloads reuse
 * it instead of opening a new database handle on every edit.
 */

/** DATABASE_URL, validated: the better-sqlite3 adapter takes `file:<path>` (relative to the working directory) or `:memory:`. */
const databaseUrlSchema = z
  .string()
  .trim()
  .regex(/^(file:.+|:memory:)$/, {
    error: 'DATABASE_URL must be a SQLite URL like file:./prisma/dev.db (or :memory:); the app uses the better-sqlite3 adapter',
  })
  .default('file:./prisma/dev.db')

/** Reads DATABASE_URL (default file:./prisma/dev.db) or throws an error naming it and what was expected. */
export function databaseUrl(env: Record<string, string | undefined> = process.env): string {
  const parsed = databaseUrlSchema.safeParse(env.DATABASE_URL === '' ? undefined : env.DATABASE_URL)
  if (!parsed.success) throw new Error(`Invalid database configuration: ${parsed.error.issues.map((i) => i.message).join('; ')}`)
  return parsed.data
}

/** A new client on `url` (tests use this for a throwaway database); the app uses `prisma`. */
export function createPrismaClient(url: string = databaseUrl()): PrismaClient {
  return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) })
}

const globalForPrisma = globalThis as typeof globalThis & { __iapmPrisma?: PrismaClient }

/** The process-wide client. Creating it opens nothing: the database file is opened on the first query. */
export const prisma: PrismaClient = (globalForPrisma.__iapmPrisma ??= createPrismaClient())

export type { PrismaClient }
