/**
 * Accounts, sessions and the proxy's identity, through the real production server: login, cookie
 * attributes, sliding expiry, logout, forged and replayed cookies, injected identity headers,
 * cross-site writes, login limits (and their closed failure policy while Redis is down).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createPrismaClient } from '@/lib/core/prisma'
import { Client, startApp, type RunningApp } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { directClient } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'
import { forgedIdentityHeader, startDemoApp } from '../support/app'

const db = tempDatabase('auth')
const prisma = createPrismaClient(db.url)
const prefix = uniquePrefix('auth')
/** The server runs in production mode (next build): the cookie has the __Host- prefix and Secure. */
const COOKIE = '__Host-iapm_session'
let app: RunningApp

beforeAll(async () => {
  app = await startDemoApp(db.url, prefix, {
    LOGIN_MAX_PER_EMAIL_AND_ADDRESS: '8',
    SESSION_TTL_SECONDS: '600',
    SESSION_MAX_LIFETIME_SECONDS: '7200',
  })
})
afterAll(async () => {
  await app?.stop()
  await prisma.$disconnect()
  db.remove()
})

describe('POST /api/auth/login', () => {
  it('answers the user and sets a fresh httpOnly, SameSite=Lax session cookie at each login', async () => {
    const a = new Client(app.url)
    const res = await a.post('/api/auth/login', { email: 'demo@cabinet-dupont.fr', password: 'demo-password' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      user: {
        id: expect.any(String),
        email: 'demo@cabinet-dupont.fr',
        name: expect.any(String),
        role: 'ADMIN',
        tenant: { id: 'cabinet-dupont', name: 'Cabinet Dupont', plan: 'PREMIUM' },
      },
    })
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`))!
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=lax/i)
    expect(cookie).toMatch(/Path=\//)
    // As long as a session may live: the sliding expiry is Redis's (SESSION_TTL_SECONDS).
    expect(cookie).toMatch(/Max-Age=7200/)
    expect(cookie).toMatch(/Secure/i) // production; `npm run dev` leaves it out so http://localhost works
    const first = a.cookie
    await a.login('demo@cabinet-dupont.fr')
    expect(a.cookie).not.toBe(first)
    // Both sessions are valid and independent (two devices).
    expect((await new Client(app.url, { cookie: first! }).get('/api/auth/me')).status).toBe(200)
  })

  it('normalises the e-mail (case, spaces)', async () => {
    const res = await new Client(app.url).post('/api/auth/login', {
      email: '  Demo@Cabinet-Martin.FR ',
      password: 'demo-password',
    })
    expect(res.status).toBe(200)
    expect((await res.json()).user.tenant.id).toBe('cabinet-martin')
  })

  it('gives one message for a wrong password and an unknown e-mail, and sets no cookie', async () => {
    const wrong = await new Client(app.url).post('/api/auth/login', {
      email: 'avocat@cabinet-dupont.fr',
      password: 'nope',
    })
    const unknown = await new Client(app.url).post('/api/auth/login', {
      email: 'personne@example.fr',
      password: 'demo-password',
    })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect(await wrong.json()).toEqual(await unknown.json())
    expect(wrong.headers.getSetCookie()).toEqual([])
  })

  it('answers 400 naming the field for a malformed body', async () => {
    const res = await new Client(app.url).post('/api/auth/login', { email: 'pas-un-email', password: '' })
    expect(res.status).toBe(400)
    expect(((await res.json()).issues as { path: string }[]).map((i) => i.path).sort()).toEqual(['email', 'password'])
  })

  it('limits attempts per e-mail and address (429 with Retry-After), even with the right password afterwards', async () => {
    const c = new Client(app.url)
    const email = 'assistant@cabinet-dupont.fr'
    const statuses = []
    for (let i = 0; i < 8; i++)
      statuses.push((await c.post('/api/auth/login', { email, password: `guess-${i}` })).status)
    expect(statuses).toEqual(Array(8).fill(401))
    const blocked = await c.post('/api/auth/login', { email, password: 'demo-password' })
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(c.cookie).toBeUndefined()
  })
})

describe('sessions', () => {
  it('GET /api/auth/me answers 401 without a session and the identity with one', async () => {
    expect((await new Client(app.url).get('/api/auth/me')).status).toBe(401)
    const c = new Client(app.url)
    await c.login('demo@cabinet-martin.fr')
    const me = await (await c.get('/api/auth/me')).json()
    expect(me.user).toMatchObject({
      email: 'demo@cabinet-martin.fr',
      role: 'ADMIN',
      tenant: { id: 'cabinet-martin', name: 'Cabinet Martin', plan: 'FREE', activeDossiers: expect.any(Number) },
    })
  })

  it('slides: each request restarts the session lifetime in Redis, without sending the cookie again', async () => {
    const c = new Client(app.url)
    await c.login('demo@cabinet-dupont.fr')
    const id = c.cookie!.split('=')[1]!.split('.')[0]! // the cookie is `<id>.<signature>`
    const direct = await directClient(inject('stack').REDIS_URL)
    try {
      const key = `${prefix}:session:${id}`
      await direct.expire(key, 30)
      const res = await c.get('/api/auth/me')
      expect(res.status).toBe(200)
      expect(await direct.ttl(key)).toBeGreaterThan(590)
      // The answer is the user's alone, and carries no Set-Cookie: the cookie's expiry did not move.
      expect(res.headers.getSetCookie()).toEqual([])
      expect(res.headers.get('cache-control')).toBe('private, no-store')
      const page = await c.get('/dossiers')
      expect(page.status).toBe(200)
      expect(page.headers.getSetCookie()).toEqual([])
      expect(page.headers.get('cache-control')).toMatch(/private/)
      expect(page.headers.get('cache-control')).toMatch(/no-store/)
    } finally {
      await direct.close()
    }
  })

  it('logout deletes the session: the old cookie is refused afterwards, and the cookie is cleared', async () => {
    const c = new Client(app.url)
    await c.login('demo@cabinet-dupont.fr')
    const stolen = c.cookie!
    const out = await c.post('/api/auth/logout')
    expect(out.status).toBe(200)
    expect(out.headers.getSetCookie().join()).toMatch(new RegExp(`${COOKIE}=;`))
    const replay = new Client(app.url, { cookie: stolen })
    expect((await replay.get('/api/dossiers')).status).toBe(401)
    expect((await replay.post('/api/dossiers', { title: 'X', clientName: 'Y' })).status).toBe(401)
    expect((await new Client(app.url).post('/api/auth/logout')).status).toBe(401)
  })

  it('refuses forged cookies without touching anyone else', async () => {
    for (const value of ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '../../etc/passwd', '%7B%7D', 'x'.repeat(5000)]) {
      const forged = `${COOKIE}=${value}`
      const res = await new Client(app.url, { cookie: forged }).get('/api/dossiers')
      expect(res.status).toBe(401)
      // The unknown cookie is cleared rather than sent again and again.
      expect(res.headers.getSetCookie().join()).toMatch(new RegExp(`${COOKIE}=;`))
    }
  })

  it('never lets a client choose its identity with the internal header', async () => {
    const forged = forgedIdentityHeader()
    const anonymous = new Client(app.url, { 'x-iapm-identity': forged })
    expect((await anonymous.get('/api/dossiers')).status).toBe(401)
    expect((await anonymous.get('/api/queue')).status).toBe(401)
    // Logged in as Dupont's assistant, a header claiming Martin's ADMIN changes nothing.
    const assistant = new Client(app.url, { 'x-iapm-identity': forged })
    await assistant.login('avocat@cabinet-dupont.fr')
    const list = (await (await assistant.get('/api/dossiers')).json()).dossiers as { tenantId: string }[]
    expect(list.length).toBeGreaterThan(0)
    expect(list.every((d) => d.tenantId === 'cabinet-dupont')).toBe(true)
    expect((await assistant.get('/api/queue')).status).toBe(403)
  })

  it('runs the proxy on every path but the static assets: a path that merely starts like one is not exempt', async () => {
    const forged = forgedIdentityHeader('Mallory Forged')
    // Were the proxy skipped there, the page (the not-found page, with the header) would trust the client's identity.
    for (const path of [
      '/favicon.ico',
      '/favicon.icoX',
      '/icon.svgX',
      '/icon.svg/x',
      '/_next/staticX',
      '/_next/imageX',
      '/nope',
    ]) {
      const res = await new Client(app.url, { 'x-iapm-identity': forged }).get(path)
      expect(res.headers.get('server-timing') ?? 'no proxy', path).toMatch(/proxy;dur=/)
      expect(await res.text(), path).not.toContain('Mallory Forged')
    }
    // The assets themselves stay outside it (no session lookup for them).
    const icon = await new Client(app.url).get('/icon.svg')
    expect(icon.status).toBe(200)
    expect(icon.headers.get('server-timing') ?? '').not.toMatch(/proxy;dur=/)
  })
})

describe('cross-site writes', () => {
  it('refuses a state-changing request from another site, and lets same-origin and non-browser clients through', async () => {
    const c = new Client(app.url)
    await c.login('demo@cabinet-dupont.fr')
    const before = await prisma.dossier.count()
    const evil = await c.post(
      '/api/dossiers',
      { title: 'CSRF', clientName: 'x' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    )
    expect(evil.status).toBe(403)
    const sibling = await c.post('/api/dossiers', { title: 'CSRF', clientName: 'x' }, { 'sec-fetch-site': 'same-site' })
    expect(sibling.status).toBe(403)
    const logoutCsrf = await c.post('/api/auth/logout', undefined, { origin: 'https://evil.example' })
    expect(logoutCsrf.status).toBe(403)
    expect(await prisma.dossier.count()).toBe(before)
    const same = await c.post(
      '/api/dossiers',
      { title: 'Même origine', clientName: 'x' },
      { origin: app.url, 'sec-fetch-site': 'same-origin' },
    )
    expect(same.status).toBe(201)
    expect((await c.post('/api/dossiers', { title: 'curl', clientName: 'x' })).status).toBe(201)
    // Reads are not writes.
    expect((await c.get('/api/dossiers', { 'sec-fetch-site': 'cross-site' })).status).toBe(200)
  })
})

describe('with Redis down', () => {
  let stack: Stack
  let down: RunningApp

  beforeAll(async () => {
    stack = await startStack()
    down = await startApp({
      ...stack.env,
      DATABASE_URL: db.url,
      REDIS_KEY_PREFIX: uniquePrefix('down'),
      UPSTASH_DISABLE_TELEMETRY: 'true',
      REDIS_TIMEOUT_MS: '300',
    })
  })
  afterAll(async () => {
    await down?.stop()
    await stack?.stop()
  })

  it('login fails closed (503, no guessing), sessions cannot be checked (503), health says degraded', async () => {
    const c = new Client(down.url)
    await c.login('demo@cabinet-dupont.fr')
    await stack.redis.stop()
    const guess = await new Client(down.url).post('/api/auth/login', {
      email: 'demo@cabinet-dupont.fr',
      password: 'demo-password',
    })
    expect(guess.status).toBe(503)
    expect(guess.headers.get('retry-after')).toBeTruthy()
    expect((await c.get('/api/dossiers')).status).toBe(503)
    // The health check answers for itself, even with a session cookie the proxy cannot check.
    const health = await c.get('/api/health')
    expect(health.status).toBe(503)
    expect(await health.json()).toMatchObject({ status: 'degraded', redis: { ok: false }, database: { ok: true } })
  })
})
