import { PrismaClient } from '@/generated/prisma/client'
import { databaseAdapter, databaseConfig, type DatabaseConfig } from './database'

/**
 * The app's Prisma client: one per process, engine-free (no engine binary is downloaded): the
 * driver adapter DATABASE_URL selects (src/lib/core/database.ts): better-sqlite3 for a `file:`
 * database, libSQL over HTTP for Turso. Kept on globalThis so Next.js dev hot reloads reuse it
 * instead of opening a new database handle on every edit.
 */

export { databaseConfig, DatabaseConfigError, DEFAULT_DATABASE_URL, type DatabaseConfig } from './database'

/** DATABASE_URL, validated (default file:./prisma/dev.db outside production); throws naming the variable and what was expected. */
export function databaseUrl(env: Record<string, string | undefined> = process.env): string {
  return databaseConfig(env).url
}

/**
 * A new client (tests use this for a throwaway database; the app uses `prisma`). `target` is a URL
 * (a `file:` URL opens with better-sqlite3; a libsql/https URL is a server, with no token), a full
 * DatabaseConfig (e.g. `{ url, kind: 'file', driver: 'libsql' }`), or absent: the environment's.
 */
export function createPrismaClient(
  target?: string | DatabaseConfig,
  options: Omit<ConstructorParameters<typeof PrismaClient>[0], 'adapter'> = {},
): PrismaClient {
  const config =
    target === undefined
      ? databaseConfig()
      : typeof target === 'string'
        ? databaseConfig({ DATABASE_URL: target })
        : target
  return new PrismaClient({ ...options, adapter: databaseAdapter(config) })
}

const globalForPrisma = globalThis as typeof globalThis & { __iapmPrisma?: PrismaClient }

/**
 * The process-wide client, created on first use: importing this module validates nothing and opens
 * nothing, so a build (which imports every route) needs no DATABASE_URL; the first query does.
 */
export const prisma: PrismaClient = new Proxy({} as PrismaClient, {
  get(_, property) {
    const client = (globalForPrisma.__iapmPrisma ??= createPrismaClient())
    const value = Reflect.get(client, property, client) as unknown
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(client) : value
  },
})

export type { PrismaClient }
