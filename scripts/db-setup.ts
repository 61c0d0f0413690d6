/**
 * `npm run db:setup`: applies prisma/migrations to DATABASE_URL (default file:./prisma/dev.db), then
 * seeds the demo data (idempotent). Reads .env / .env.local like the app (the shell wins).
 * With NODE_ENV=production it applies the migrations and skips the demo data.
 */
import { spawnSync } from 'node:child_process'
import { loadEnvConfig } from '@next/env'

export async function dbSetup(): Promise<void> {
  loadEnvConfig(process.cwd(), process.env.NODE_ENV !== 'production', { info: () => {}, error: console.error })
  process.env.DATABASE_URL ||= 'file:./prisma/dev.db'
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
