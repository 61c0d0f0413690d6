/**
 * A production server refuses to run half-configured, on both ways of serving the build
 * (scripts/serve.ts and plain `next start`), never accepts the public demo accounts unless told to,
 * and takes the client address only from where it can be trusted.
 */
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { seedDemo } from '../../prisma/seed'
import { Client, startApp, startAppExpectingExit } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { startWorker } from '../support/worker-process'
import { uniquePrefix } from '../../testing/stack'

const db = tempDatabase('prodconfig')
const NO_REDIS = {
  UPSTASH_REDIS_REST_URL: undefined,
  UPSTASH_REDIS_REST_TOKEN: undefined,
  KV_REST_API_URL: undefined,
  KV_REST_API_TOKEN: undefined,
}

beforeAll(async () => {
  await seedDemo(db.url, () => {})
})
afterAll(() => db.remove())

describe('a production server refuses to start half-configured', () => {
  for (const via of ['serve', 'next'] as const) {
    it(`${via === 'serve' ? 'npm start (scripts/serve.ts)' : 'plain next start'}: no Redis settings → exits non-zero naming both pairs of variables`, async () => {
      const { code, output } = await startAppExpectingExit({ ...NO_REDIS, DATABASE_URL: db.url }, { via })
      expect(code).not.toBe(0)
      expect(output).toMatch(/Refusing to start/)
      expect(output).toMatch(/UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are required/)
      expect(output).toMatch(/KV_REST_API_URL and KV_REST_API_TOKEN/)
    })

    it(`${via === 'serve' ? 'npm start' : 'plain next start'}: no DATABASE_URL, no SESSION_SECRET → exits non-zero naming both (no default in production)`, async () => {
      const { code, output } = await startAppExpectingExit(
        { ...inject('stack'), DATABASE_URL: undefined, SESSION_SECRET: undefined },
        { via },
      )
      expect(code).not.toBe(0)
      expect(output).toMatch(/DATABASE_URL is required when NODE_ENV=production/)
      expect(output).toMatch(/SESSION_SECRET is required in production/)
    })

    it(`${via === 'serve' ? 'npm start' : 'plain next start'}: half-configured e-mail → exits non-zero naming MAIL_FROM and APP_ORIGIN, never the SMTP password`, async () => {
      const password = 'smtp-relay-S3cret-pw'
      const { code, output } = await startAppExpectingExit(
        {
          ...inject('stack'),
          DATABASE_URL: db.url,
          SMTP_URL: `smtp://apikey:${password}@smtp-relay.example.fr:587`,
          MAIL_FROM: undefined,
          APP_ORIGIN: undefined,
        },
        { via },
      )
      expect(code).not.toBe(0)
      expect(output).toMatch(/Refusing to start/)
      expect(output).toMatch(/MAIL_FROM is required in production/)
      expect(output).toMatch(/APP_ORIGIN is required in production/)
      expect(output).not.toMatch(/SMTP_URL is required/)
      expect(output).not.toContain(password)
    })
  }

  it('the worker (npm run worker) refuses production without SMTP_URL, MAIL_FROM or SESSION_SECRET, naming each', async () => {
    const worker = startWorker(
      Object.fromEntries(
        Object.entries({
          ...process.env,
          ...inject('stack'),
          NODE_ENV: 'production',
          DATABASE_URL: db.url,
          APP_ORIGIN: 'https://app.example.fr',
        }).filter(([k, v]) => v !== undefined && !['SMTP_URL', 'MAIL_FROM', 'SESSION_SECRET'].includes(k)),
      ) as Record<string, string>,
      [],
    )
    const { code } = await worker.exited
    expect(code).toBe(1)
    const output = worker.stderr()
    expect(output).toMatch(/Refusing to start/)
    expect(output).toMatch(/SMTP_URL is required in production/)
    expect(output).toMatch(/MAIL_FROM is required in production/)
    expect(output).toMatch(/SESSION_SECRET is required by the worker/)
    expect(worker.events.map((e) => e.event)).not.toContain('started')
  })

  it('names a wrong value without printing the secret', async () => {
    const secret = 'short-secret'
    const { code, output } = await startAppExpectingExit({
      ...inject('stack'),
      DATABASE_URL: db.url,
      CRON_SECRET: secret,
      REDIS_TIMEOUT_MS: 'fast',
    })
    expect(code).not.toBe(0)
    expect(output).toMatch(/CRON_SECRET must be at least 16 characters \(got 12\)/)
    expect(output).toMatch(/REDIS_TIMEOUT_MS must be a whole number/)
    expect(output).not.toContain(secret)
    expect(output).not.toContain(inject('stack').UPSTASH_REDIS_REST_TOKEN)
  })
})

describe('a production server started with the bare minimum (Redis, DATABASE_URL)', () => {
  it('refuses the demo accounts (same answer as a wrong password) unless ALLOW_DEMO_ACCOUNTS=true, and the cron route without CRON_SECRET', async () => {
    const app = await startApp({
      ...inject('stack'),
      DATABASE_URL: db.url,
      REDIS_KEY_PREFIX: uniquePrefix('demo'),
      ALLOW_DEMO_ACCOUNTS: undefined,
      CRON_SECRET: undefined,
    })
    try {
      const res = await new Client(app.url).post('/api/auth/login', {
        email: 'demo@cabinet-dupont.fr',
        password: 'demo-password',
      })
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ error: 'e-mail ou mot de passe incorrect' })
      expect(app.output()).toMatch(/demo accounts are off in production/)

      const cron = await fetch(`${app.url}/api/cron/analysis`, {
        headers: { authorization: 'Bearer anything-at-all-0123456789' },
      })
      expect(cron.status).toBe(503)
      expect((await cron.json()).error).toMatch(/CRON_SECRET is not set/)
      expect(app.output()).toMatch(/CRON_SECRET is not set/) // also said at start
    } finally {
      await app.stop()
    }
  })
})

describe('the client address, by where the app runs', () => {
  const LIMIT = 3
  const base = { DATABASE_URL: db.url, RATE_LIMIT_MAX: String(LIMIT), RATE_LIMIT_WINDOW_SECONDS: '900' }
  /** Statuses of anonymous API calls, each claiming another address in every header a client can send. */
  async function spoofed(url: string, n: number, extra: Record<string, string> = {}): Promise<number[]> {
    const statuses = []
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${url}/api/dossiers`, {
        headers: { 'x-forwarded-for': `198.51.100.${i}`, 'x-real-ip': `198.51.100.${i}`, ...extra },
      })
      statuses.push(res.status)
    }
    return statuses
  }

  it('plain next start without VERCEL: says so loudly, and anonymous callers share one key whatever they send', async () => {
    const app = await startApp(
      { ...inject('stack'), ...base, REDIS_KEY_PREFIX: uniquePrefix('plain'), VERCEL: undefined },
      { via: 'next' },
    )
    try {
      // A forged stamp proves nothing: only scripts/serve.ts knows its own.
      expect(await spoofed(app.url, LIMIT + 2, { 'x-iapm-server-stamp': 'guess' })).toEqual([
        ...Array(LIMIT).fill(401),
        429,
        429,
      ])
      // Said at start (Next runs the instrumentation hook before the first request is served).
      expect(app.output()).toMatch(/No trusted client address[\s\S]*share ONE rate-limit key/)
    } finally {
      await app.stop()
    }
  })

  it("on Vercel (VERCEL=1): the platform's X-Real-IP, which its edge overwrites, keys each caller", async () => {
    const app = await startApp(
      { ...inject('stack'), ...base, REDIS_KEY_PREFIX: uniquePrefix('platform'), VERCEL: '1' },
      { via: 'next' },
    )
    try {
      // Each address its own budget…
      expect(await spoofed(app.url, LIMIT + 2)).toEqual(Array(LIMIT + 2).fill(401))
      expect(app.output()).not.toMatch(/No trusted client address/)
      // …and one address runs out of its own.
      const one = []
      for (let i = 0; i < LIMIT + 1; i++)
        one.push((await fetch(`${app.url}/api/dossiers`, { headers: { 'x-real-ip': '203.0.113.9' } })).status)
      expect(one).toEqual([...Array(LIMIT).fill(401), 429])
    } finally {
      await app.stop()
    }
  })
})

describe('headers of a production server', () => {
  /** A GET with the Host header of our choosing (fetch does not let a caller set it). */
  function getWithHost(
    url: string,
    path: string,
    host: string,
  ): Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${url}${path}`, { headers: { host } }, (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }))
      })
      req.on('error', reject)
      req.end()
    })
  }

  it('refuses a foreign Host once APP_ORIGIN names the public one (health checks excepted), and sends a nonce-based CSP on pages', async () => {
    const app = await startApp({
      ...inject('stack'),
      DATABASE_URL: db.url,
      REDIS_KEY_PREFIX: uniquePrefix('host'),
      APP_ORIGIN: 'https://avocats.example.fr',
    })
    try {
      expect((await getWithHost(app.url, '/login', 'evil.example')).status).toBe(421)
      expect((await getWithHost(app.url, '/api/dossiers', '127.0.0.1')).status).toBe(421)
      expect((await getWithHost(app.url, '/api/health', '10.0.0.5:3000')).status).toBe(200)
      const page = await getWithHost(app.url, '/login', 'avocats.example.fr')
      expect(page.status).toBe(200)
      const csp = String(page.headers['content-security-policy'])
      expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/)
      expect(csp).toMatch(/object-src 'none'/)
      expect(csp).not.toMatch(/unsafe-eval/)
      // A fresh nonce per request.
      const again = await getWithHost(app.url, '/login', 'avocats.example.fr')
      expect(String(again.headers['content-security-policy'])).not.toBe(csp)
    } finally {
      await app.stop()
    }
  })
})
