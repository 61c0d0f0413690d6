/**
 * `npm run db:setup`: applies prisma/migrations to DATABASE_URL, then seeds the demo data
 * (idempotent). Reads .env / .env.local like the app (the shell wins).
 * - development/test: DATABASE_URL defaults to file:./prisma/dev.db;
 * - NODE_ENV=production: DATABASE_URL is required (the default file holds the demo accounts), the
 *   migrations are applied and the demo data skipped;
 * - a Turso database from a workstation or CI:
 *     DATABASE_URL=libsql://<db>-<org>.turso.io DATABASE_AUTH_TOKEN=… NODE_ENV=production npm run db:setup
 */
import { spawnSync } from 'node:child_process'
import { loadEnvConfig } from '@next/env'
import { databaseConfig, type DatabaseConfig } from '../src/lib/core/database'

/** Where the database is, for the log: the scheme and host of a server (never the token), the path of a file. */
function describe(config: DatabaseConfig): string {
  if (config.kind === 'file') return `${config.url} (${config.driver})`
  const u = new URL(config.url)
  return `${u.protocol}//${u.host} (libSQL${config.authToken ? ', with DATABASE_AUTH_TOKEN' : ', no token'})`
}

export async function dbSetup(): Promise<void> {
  loadEnvConfig(process.cwd(), process.env.NODE_ENV !== 'production', { info: () => {}, error: console.error })
  // Validated before anything runs; throws naming DATABASE_URL when production has none.
  const config = databaseConfig(process.env)
  process.env.DATABASE_URL = config.url
  console.log(`[db:setup] applying migrations to ${describe(config)}`)
  const migrate = spawnSync(process.execPath, [require.resolve('prisma/build/index.js'), 'migrate', 'deploy'], {
    stdio: 'inherit',
    env: { ...process.env, CHECKPOINT_DISABLE: '1' },
  })
  if (migrate.status !== 0) throw new Error(`prisma migrate deploy failed (exit ${migrate.status})`)
  if (process.env.NODE_ENV === 'production') {
    console.log('NODE_ENV=production: migrations applied, demo data skipped')
    return
  }
  const { seedDemo } = await import('../prisma/seed')
  await seedDemo()
}

if (process.argv[1] && /db-setup\.ts$/.test(process.argv[1])) {
  dbSetup().catch((err) => {
    console.error((err as Error).message)
    process.exit(1)
  })
}
