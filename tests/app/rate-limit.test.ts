/**
 * The proxy's API rate limit through the real production server (scripts/serve.ts): logged-in
 * callers by user id, anonymous ones by the address the server saw (a client-sent X-Forwarded-For
 * buys no fresh budget), headers on every limited answer, 429 JSON with Retry-After, and the
 * failure policy when Redis is unreachable.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { seedDemo } from '../../prisma/seed'
import { Client, startApp, type RunningApp } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

const LIMIT = 6
const db = tempDatabase('ratelimit')
const base = {
  DATABASE_URL: db.url,
  UPSTASH_DISABLE_TELEMETRY: 'true',
  RATE_LIMIT_MAX: String(LIMIT),
  RATE_LIMIT_WINDOW_SECONDS: '900',
  LOGIN_MAX_PER_ADDRESS: '1000',
}
let app: RunningApp

beforeAll(async () => {
  await seedDemo(db.url, () => {})
  app = await startApp({ ...inject('stack'), ...base, REDIS_KEY_PREFIX: uniquePrefix('rl') })
})
afterAll(async () => {
  await app?.stop()
  db.remove()
})

describe('API rate limit', () => {
  it('gives each user its own budget, with X-RateLimit-* headers, then a JSON 429 with Retry-After', async () => {
    const dupont = new Client(app.url)
    await dupont.login('demo@cabinet-dupont.fr') // the login itself counts against the address, not the user
    const answers = []
    for (let i = 0; i < LIMIT + 1; i++) answers.push(await dupont.get('/api/dossiers'))
    expect(answers.map((r) => r.status)).toEqual([...Array(LIMIT).fill(200), 429])
    expect(answers.map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual([
      ...Array.from({ length: LIMIT }, (_, i) => String(LIMIT - 1 - i)),
      '0',
    ])
    for (const r of answers) {
      expect(r.headers.get('x-ratelimit-limit')).toBe(String(LIMIT))
      expect(Number(r.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000)
    }
    const denied = answers.at(-1)!
    expect(Number(denied.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await denied.json()).toMatchObject({ error: 'Rate limit exceeded', retryAfterSeconds: expect.any(Number) })

    // Another session of the same user shares the budget; another user has a full one.
    const again = new Client(app.url)
    await again.login('demo@cabinet-dupont.fr')
    expect((await again.get('/api/dossiers')).status).toBe(429)
    const martin = new Client(app.url)
    await martin.login('demo@cabinet-martin.fr')
    expect((await martin.get('/api/dossiers')).status).toBe(200)
  })

  it('keys anonymous callers by the address the server saw: a spoofed X-Forwarded-For buys nothing', async () => {
    const own = await startApp({ ...inject('stack'), ...base, REDIS_KEY_PREFIX: uniquePrefix('rlip') })
    try {
      const statuses = []
      for (let i = 0; i < LIMIT + 2; i++) {
        const res = await new Client(own.url).get('/api/dossiers', {
          'x-forwarded-for': `198.51.100.${i}`,
          'x-real-ip': `203.0.113.${i}`,
        })
        statuses.push(res.status)
      }
      // Anonymous: 401 from the route while within the budget, then 429 from the proxy.
      expect(statuses).toEqual([...Array(LIMIT).fill(401), 429, 429])
      // The health check is never limited.
      expect((await new Client(own.url).get('/api/health')).status).toBe(200)
    } finally {
      await own.stop()
    }
  })
})

describe('API rate limit with Redis unreachable', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(async () => {
    await stack?.stop()
  })

  for (const policy of ['open', 'closed'] as const) {
    it(`follows RATE_LIMIT_FAILURE_POLICY=${policy} for anonymous callers, and flags it`, async () => {
      const own = await startApp({
        ...stack.env,
        ...base,
        REDIS_KEY_PREFIX: uniquePrefix(`rl${policy}`),
        REDIS_TIMEOUT_MS: '300',
        RATE_LIMIT_FAILURE_POLICY: policy,
      })
      try {
        await stack.redis.stop()
        const res = await new Client(own.url).get('/api/dossiers')
        expect(res.headers.get('x-ratelimit-status')).toBe('unavailable')
        // open: let through to the route (401: not logged in); closed: refused by the proxy.
        expect(res.status).toBe(policy === 'open' ? 401 : 429)
      } finally {
        await own.stop()
        await stack.stop()
        stack = await startStack()
      }
    })
  }
})
