import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'
import type { PrismaLibSQL as PrismaLibSQLWeb } from '@prisma/adapter-libsql/web'
import { z } from 'zod'

/**
 * The database settings (DATABASE_URL, DATABASE_AUTH_TOKEN, DATABASE_DRIVER) and the Prisma driver
 * adapter they select. The one module that reads them: the app (src/lib/core/prisma.ts), the Prisma CLI
 * (prisma.config.ts), `npm run db:setup` and the server's start-up check all go through
 * `databaseConfig`. It imports no generated Prisma code, so prisma.config.ts can load it before
 * `prisma generate` has ever run, and a start-up check can call it without opening anything.
 *
 *   file:<path>                    SQLite through better-sqlite3 (dev, tests, CI, a single server)
 *   libsql://host, https://host    libSQL/Turso over HTTP (`@prisma/adapter-libsql/web`: plain fetch,
 *   http://host:port               no native module, so nothing to trace into a serverless bundle)
 */

export const DEFAULT_DATABASE_URL = 'file:./prisma/dev.db'

/** What the app connects to. `authToken` is a secret, not enumerable on what databaseConfig returns (logging the config does not print it). */
export interface DatabaseConfig {
  /** DATABASE_URL as given (trimmed). It never holds the token (an `authToken` query parameter is refused). */
  url: string
  /** `file`: an SQLite file opened by `driver`; `libsql`: a libSQL server (Turso, `sqld`) over HTTP. */
  kind: 'file' | 'libsql'
  /** Which library opens it: always `libsql` for a server; `better-sqlite3` unless DATABASE_DRIVER=libsql for a file. */
  driver: 'better-sqlite3' | 'libsql'
  /** DATABASE_AUTH_TOKEN (Turso requires one; a local `sqld` usually does not). Only ever sent to the database. */
  authToken?: string
}

/** A wrong database setting; `issues` name the variable and what was expected, never a secret's value. */
export class DatabaseConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid database configuration: ${issues.join('; ')}`)
    this.name = 'DatabaseConfigError'
  }
}

const ACCEPTED =
  'file:<path> (SQLite, e.g. file:./prisma/dev.db), libsql://<host> or https://<host> (Turso, with DATABASE_AUTH_TOKEN), or http://<host>:<port> (a local sqld)'

const envSchema = z.object({
  // Empty counts as unset: `DATABASE_URL=` in a .env file means "the default", as for the other variables.
  DATABASE_URL: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.string().trim().optional(),
  ),
  DATABASE_AUTH_TOKEN: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.string().trim().optional(),
  ),
  DATABASE_DRIVER: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z
      .enum(['better-sqlite3', 'libsql'], {
        error: 'DATABASE_DRIVER must be "better-sqlite3" or "libsql" (or unset: chosen by DATABASE_URL)',
      })
      .optional(),
  ),
  NODE_ENV: z.string().optional(),
})

/** The part of a URL before the first ':' (lower case), without echoing the rest (it may hold credentials). */
function schemeOf(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(url)
  return m ? m[1]!.toLowerCase() : ''
}

/**
 * Validates the database settings without connecting. In production (NODE_ENV=production)
 * DATABASE_URL is required; elsewhere it defaults to file:./prisma/dev.db. Throws a
 * DatabaseConfigError naming the variable and the accepted forms; no message contains the token
 * or any part of the URL but its scheme.
 */
export function databaseConfig(env: Record<string, string | undefined> = process.env): DatabaseConfig {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) throw new DatabaseConfigError(parsed.error.issues.map((i) => i.message))
  const { DATABASE_URL, DATABASE_AUTH_TOKEN: authToken, DATABASE_DRIVER, NODE_ENV } = parsed.data

  if (DATABASE_URL === undefined && NODE_ENV === 'production') {
    // A production default would be the development file, seeded with the demo accounts.
    throw new DatabaseConfigError([`DATABASE_URL is required when NODE_ENV=production; expected ${ACCEPTED}`])
  }
  const url = DATABASE_URL ?? DEFAULT_DATABASE_URL
  const scheme = schemeOf(url)
  const issues: string[] = []

  if (scheme === 'file') {
    if (url.length <= 'file:'.length)
      issues.push('DATABASE_URL must name a file after "file:", e.g. file:./prisma/dev.db')
    if (issues.length) throw new DatabaseConfigError(issues)
    // A token means nothing to a file: it is not kept, so nothing downstream can print it.
    return { url, kind: 'file', driver: DATABASE_DRIVER ?? 'better-sqlite3' }
  }

  if (scheme === 'libsql' || scheme === 'https' || scheme === 'http') {
    let parsedUrl: URL | undefined
    try {
      parsedUrl = new URL(url)
    } catch {
      issues.push(`DATABASE_URL is not a valid ${scheme}: URL; expected ${ACCEPTED}`)
    }
    if (parsedUrl) {
      if (!parsedUrl.hostname) issues.push(`DATABASE_URL must name a host after "${scheme}://"`)
      // A token in the URL would be printed wherever the URL is (logs, start-up banners).
      if ([...parsedUrl.searchParams.keys()].some((k) => k.toLowerCase() === 'authtoken')) {
        issues.push('DATABASE_URL must not carry the token (authToken=…): put it in DATABASE_AUTH_TOKEN')
      }
      if (parsedUrl.username || parsedUrl.password)
        issues.push('DATABASE_URL must not carry credentials (user:password@): put the token in DATABASE_AUTH_TOKEN')
    }
    if (DATABASE_DRIVER === 'better-sqlite3')
      issues.push(`DATABASE_DRIVER=better-sqlite3 opens only file: URLs, not ${scheme}:`)
    if (issues.length) throw new DatabaseConfigError(issues)
    const config: DatabaseConfig = { url, kind: 'libsql', driver: 'libsql' }
    // Not enumerable: a config logged or serialised whole (console.log, JSON) does not show the token.
    if (authToken) Object.defineProperty(config, 'authToken', { value: authToken, enumerable: false })
    return config
  }

  if (url === ':memory:') {
    throw new DatabaseConfigError([
      `DATABASE_URL=:memory: would give every process its own empty database; expected ${ACCEPTED}`,
    ])
  }
  throw new DatabaseConfigError([
    `DATABASE_URL has the scheme "${scheme || '(none)'}:", which the app cannot open; expected ${ACCEPTED}`,
  ])
}

/** The driver adapter factory Prisma (client and CLI) connects through; creating it opens nothing. */
export type DatabaseAdapter = PrismaBetterSQLite3 | PrismaLibSQLWeb | import('@prisma/adapter-libsql').PrismaLibSQL

/** SQLite's extended result codes @prisma/adapter-libsql turns into Prisma errors (P2002 unique, P2011 null, P2003 foreign key, busy). */
const RAW_CODES: Record<string, number> = {
  SQLITE_CONSTRAINT_UNIQUE: 2067,
  SQLITE_CONSTRAINT_PRIMARYKEY: 1555,
  SQLITE_CONSTRAINT_NOTNULL: 1299,
  SQLITE_CONSTRAINT_FOREIGNKEY: 787,
  SQLITE_CONSTRAINT_TRIGGER: 1811,
  SQLITE_BUSY: 5,
}
const RAW_CODES_BY_MESSAGE: [RegExp, number][] = [
  [/UNIQUE constraint failed: /, 2067],
  [/NOT NULL constraint failed: /, 1299],
  [/FOREIGN KEY constraint failed/, 787],
  [/database is locked/, 5],
]

/**
 * Over HTTP a libSQL server's error carries SQLite's code as a name (`SQLITE_CONSTRAINT_UNIQUE`, or
 * only `SQLITE_CONSTRAINT`) and no number, while the adapter maps errors by number (`rawCode`):
 * without this a reference already taken is an unknown error (500) on Turso where a file gives
 * P2002 (409), and the reference generator's retry on P2002 never runs. Adds the number.
 */
function withRawCode(err: unknown): unknown {
  const e = err as { code?: unknown; rawCode?: unknown; message?: unknown } | null
  if (
    !e ||
    typeof e !== 'object' ||
    e.rawCode !== undefined ||
    typeof e.code !== 'string' ||
    typeof e.message !== 'string'
  )
    return err
  const raw = RAW_CODES[e.code] ?? RAW_CODES_BY_MESSAGE.find(([pattern]) => pattern.test(e.message as string))?.[1]
  if (raw !== undefined) Object.defineProperty(e, 'rawCode', { value: raw, enumerable: true, configurable: true })
  return err
}

/** `target` with every method's failure passed through withRawCode; the transactions it opens too. */
function rawCodeErrors<T extends object>(target: T): T {
  return new Proxy(target, {
    get(t, property) {
      const value = Reflect.get(t, property, t) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        let out: unknown
        try {
          out = (value as (...a: unknown[]) => unknown).apply(t, args)
        } catch (err) {
          throw withRawCode(err)
        }
        if (!(out instanceof Promise)) return out
        return out.then(
          (result: unknown) =>
            property === 'transaction' && result && typeof result === 'object' ? rawCodeErrors(result) : result,
          (err: unknown) => Promise.reject(withRawCode(err)),
        )
      }
    },
  })
}

/** The libSQL web adapter for `config`, its client's errors carrying SQLite's numeric code (see withRawCode). */
function remoteAdapter(config: DatabaseConfig): PrismaLibSQLWeb {
  // Loaded only for a server URL: a file: database's process never loads the libSQL client.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PrismaLibSQL } = require('@prisma/adapter-libsql/web') as typeof import('@prisma/adapter-libsql/web')
  class PrismaLibSQLRemote extends PrismaLibSQL {
    override createClient(
      c: Parameters<PrismaLibSQLWeb['createClient']>[0],
    ): ReturnType<PrismaLibSQLWeb['createClient']> {
      return rawCodeErrors(super.createClient(c))
    }
  }
  return new PrismaLibSQLRemote({ url: config.url, ...(config.authToken ? { authToken: config.authToken } : {}) })
}

/**
 * The Prisma driver adapter for `config`. A libSQL server goes through the web (fetch) variant; an
 * SQLite file through better-sqlite3, or through libSQL's native binding with DATABASE_DRIVER=libsql.
 * The libSQL packages are loaded only when chosen (the node variant loads its native module on import).
 */
export function databaseAdapter(config: DatabaseConfig): DatabaseAdapter {
  if (config.kind === 'libsql') return remoteAdapter(config)
  if (config.driver === 'libsql') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
    const { PrismaLibSQL } = require('@prisma/adapter-libsql') as typeof import('@prisma/adapter-libsql')
    return new PrismaLibSQL({ url: config.url })
  }
  return new PrismaBetterSQLite3({ url: config.url })
}
