import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { databaseConfig, DatabaseConfigError, DEFAULT_DATABASE_URL } from '@/lib/core/database'
import { databaseUrl } from '@/lib/core/prisma'

const TOKEN = 'eyJhbGciOiJFZERTQSJ9.SECRET-turso-token-value'

/** The DatabaseConfigError `env` throws (fails the test when it does not throw). */
function errorOf(env: Record<string, string | undefined>): DatabaseConfigError {
  try {
    databaseConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(DatabaseConfigError)
    return err as DatabaseConfigError
  }
  throw new Error('expected a DatabaseConfigError')
}

describe('databaseConfig (DATABASE_URL, DATABASE_AUTH_TOKEN, DATABASE_DRIVER)', () => {
  it('defaults to the development file outside production (unset or empty)', () => {
    expect(databaseConfig({})).toEqual({ url: DEFAULT_DATABASE_URL, kind: 'file', driver: 'better-sqlite3' })
    expect(databaseConfig({ DATABASE_URL: '  ', NODE_ENV: 'test' })).toEqual({
      url: 'file:./prisma/dev.db',
      kind: 'file',
      driver: 'better-sqlite3',
    })
    expect(databaseConfig({ NODE_ENV: 'development' }).url).toBe('file:./prisma/dev.db')
  })

  it('has no default in production: a missing DATABASE_URL fails naming it and the accepted forms', () => {
    for (const DATABASE_URL of [undefined, '']) {
      const err = errorOf({ NODE_ENV: 'production', DATABASE_URL })
      expect(err.message).toMatch(/DATABASE_URL is required when NODE_ENV=production/)
      expect(err.message).toMatch(/file:<path>/)
      expect(err.message).toMatch(/libsql:\/\/<host>/)
      expect(err.message).toMatch(/https:\/\/<host>/)
    }
    expect(databaseConfig({ NODE_ENV: 'production', DATABASE_URL: 'file:/var/lib/iapm/app.db' })).toEqual({
      url: 'file:/var/lib/iapm/app.db',
      kind: 'file',
      driver: 'better-sqlite3',
    })
  })

  it('opens a file with better-sqlite3 by default, with libSQL when DATABASE_DRIVER=libsql', () => {
    expect(databaseConfig({ DATABASE_URL: 'file:/tmp/x.db', DATABASE_DRIVER: 'libsql' })).toEqual({
      url: 'file:/tmp/x.db',
      kind: 'file',
      driver: 'libsql',
    })
    expect(databaseConfig({ DATABASE_URL: 'file:/tmp/x.db', DATABASE_DRIVER: 'better-sqlite3' }).driver).toBe(
      'better-sqlite3',
    )
    // A token means nothing to a file and is not kept.
    expect(databaseConfig({ DATABASE_URL: 'file:/tmp/x.db', DATABASE_AUTH_TOKEN: TOKEN })).not.toHaveProperty(
      'authToken',
    )
    expect(errorOf({ DATABASE_URL: 'file:/tmp/x.db', DATABASE_DRIVER: 'sqlite' }).message).toMatch(
      /DATABASE_DRIVER must be "better-sqlite3" or "libsql"/,
    )
    expect(errorOf({ DATABASE_URL: 'file:' }).message).toMatch(/DATABASE_URL must name a file/)
  })

  it('sends libsql://, https:// and http:// to libSQL, with the token when there is one', () => {
    const turso = databaseConfig({
      DATABASE_URL: 'libsql://app-cabinet.turso.io',
      DATABASE_AUTH_TOKEN: TOKEN,
      NODE_ENV: 'production',
    })
    expect(turso).toMatchObject({ url: 'libsql://app-cabinet.turso.io', kind: 'libsql', driver: 'libsql' })
    expect(turso.authToken).toBe(TOKEN)
    // Logged or serialised whole, the config does not show the token.
    expect(JSON.stringify(turso)).not.toContain(TOKEN)
    expect(inspect(turso)).not.toContain(TOKEN)
    expect(databaseConfig({ DATABASE_URL: 'https://app-cabinet.turso.io', DATABASE_AUTH_TOKEN: TOKEN }).kind).toBe(
      'libsql',
    )
    // A local sqld needs no token: none is required.
    expect(databaseConfig({ DATABASE_URL: 'http://127.0.0.1:8080' })).toEqual({
      url: 'http://127.0.0.1:8080',
      kind: 'libsql',
      driver: 'libsql',
    })
    expect(errorOf({ DATABASE_URL: 'libsql://app.turso.io', DATABASE_DRIVER: 'better-sqlite3' }).message).toMatch(
      /DATABASE_DRIVER=better-sqlite3 opens only file: URLs/,
    )
  })

  it('refuses another scheme, saying which ones are accepted, without echoing the URL', () => {
    const err = errorOf({ DATABASE_URL: 'postgres://app:hunter2@db.example.com:5432/iapm' })
    expect(err.message).toMatch(/DATABASE_URL has the scheme "postgres:"/)
    expect(err.message).toMatch(/expected file:<path> .*libsql:\/\/<host> or https:\/\/<host> .*http:\/\/<host>:<port>/)
    expect(err.message).not.toMatch(/hunter2|db\.example\.com/)
    expect(errorOf({ DATABASE_URL: './prisma/dev.db' }).message).toMatch(/scheme "\(none\):"/)
    expect(errorOf({ DATABASE_URL: ':memory:' }).message).toMatch(
      /:memory: would give every process its own empty database/,
    )
  })

  it('never puts the token in an error message', () => {
    const envs: Record<string, string | undefined>[] = [
      { DATABASE_URL: `libsql://app.turso.io?authToken=${TOKEN}`, DATABASE_AUTH_TOKEN: TOKEN },
      { DATABASE_URL: `https://user:${TOKEN}@app.turso.io`, DATABASE_AUTH_TOKEN: TOKEN },
      { DATABASE_URL: `postgres://${TOKEN}@x`, DATABASE_AUTH_TOKEN: TOKEN },
      { DATABASE_URL: 'libsql://app.turso.io', DATABASE_AUTH_TOKEN: TOKEN, DATABASE_DRIVER: 'better-sqlite3' },
      { DATABASE_URL: 'libsql://', DATABASE_AUTH_TOKEN: TOKEN },
      { NODE_ENV: 'production', DATABASE_AUTH_TOKEN: TOKEN },
    ]
    for (const env of envs) {
      const err = errorOf(env)
      expect(err.message).not.toContain(TOKEN)
      expect(err.message).not.toContain('SECRET')
      expect(err.issues.join('\n')).not.toContain(TOKEN)
      expect(JSON.stringify(err)).not.toContain(TOKEN)
    }
    // The token belongs in DATABASE_AUTH_TOKEN, where nothing prints it: one in the URL is refused, with the reason.
    expect(errorOf(envs[0]!).message).toMatch(/must not carry the token \(authToken=…\): put it in DATABASE_AUTH_TOKEN/)
    expect(errorOf(envs[1]!).message).toMatch(/must not carry credentials/)
  })

  it('databaseUrl() (the older export) returns the validated URL and throws the same errors', () => {
    expect(databaseUrl({})).toBe('file:./prisma/dev.db')
    expect(databaseUrl({ DATABASE_URL: 'libsql://app.turso.io' })).toBe('libsql://app.turso.io')
    expect(() => databaseUrl({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL is required/)
  })
})
