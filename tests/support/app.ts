import { expect, inject } from 'vitest'
import { seedDemo } from '../../prisma/seed'
import { startApp, type AppEnv, type Client, type RunningApp, type StartOptions } from '../../testing/app'

/**
 * The environment of a test file's app server: the run's Redis stack, the file's database and key prefix, no
 * telemetry, and request limits (RATE_LIMIT_MAX, LOGIN_MAX_PER_ADDRESS) far above what a test sends unless it is
 * about them; `env` adds or overrides variables.
 */
export function testAppEnv(databaseUrl: string, prefix: string, env: AppEnv = {}): AppEnv {
  return {
    ...inject('stack'),
    DATABASE_URL: databaseUrl,
    REDIS_KEY_PREFIX: prefix,
    UPSTASH_DISABLE_TELEMETRY: 'true',
    RATE_LIMIT_MAX: '100000',
    LOGIN_MAX_PER_ADDRESS: '100000',
    ...env,
  }
}

/** The demo cabinets seeded into the database at `databaseUrl`, then the app started on it (testAppEnv). */
export async function startDemoApp(
  databaseUrl: string,
  prefix: string,
  env: AppEnv = {},
  options?: StartOptions,
): Promise<RunningApp> {
  await seedDemo(databaseUrl, () => {})
  return startApp(testAppEnv(databaseUrl, prefix, env), options)
}

/**
 * `count` dossiers created at once through the API by `client`, the i-th with `body(i)`: every answer is a 201
 * and every reference distinct (references are generated under contention). Returns the references.
 */
export async function createDossiersAtOnce(
  client: Client,
  count: number,
  body: (i: number) => Record<string, string>,
): Promise<string[]> {
  const answers = await Promise.all(Array.from({ length: count }, (_, i) => client.post('/api/dossiers', body(i))))
  expect(answers.map((r) => r.status)).toEqual(Array(count).fill(201))
  const refs = await Promise.all(
    answers.map(async (r) => ((await r.json()) as { dossier: { reference: string } }).dossier.reference),
  )
  expect(new Set(refs).size).toBe(count)
  return refs
}

/**
 * An x-iapm-identity header value (the identity the proxy hands the routes) claiming Cabinet Martin's ADMIN, with
 * `name`: what a client sends to choose who it is, and must never get.
 */
export function forgedIdentityHeader(name = 'x'): string {
  return encodeURIComponent(
    JSON.stringify({
      userId: 'u',
      tenantId: 'cabinet-martin',
      role: 'ADMIN',
      email: 'x@x.fr',
      name,
      sessionId: 'A'.repeat(32),
    }),
  )
}
