/**
 * Sessions an attacker and a careless admin cannot abuse, through the real production server and a
 * private redis-server (every billed command counted): made-up cookies and health polling cost
 * (almost) nothing, sessions have an absolute lifetime, end everywhere on request, and follow the
 * account: a change through the app ends them at once, one made in the database within
 * SESSION_RECHECK_SECONDS.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createPrismaClient } from '@/lib/core/prisma'
import { seedDemo } from '../../prisma/seed'
import { Client, startApp, type RunningApp } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { billedCommands, directClient } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

const LIMIT = 20
const db = tempDatabase('sessions')
const prisma = createPrismaClient(db.url)
const prefix = uniquePrefix('sess')
let stack: Stack
let app: RunningApp

beforeAll(async () => {
  stack = await startStack()
  await seedDemo(db.url, () => {})
  app = await startApp({
    ...stack.env,
    DATABASE_URL: db.url,
    REDIS_KEY_PREFIX: prefix,
    RATE_LIMIT_MAX: '100000',
    LOGIN_MAX_PER_ADDRESS: '1000',
    SESSION_RECHECK_SECONDS: '1',
    UPSTASH_USAGE_FLUSH_SECONDS: '0',
  })
}, 120_000)
afterAll(async () => {
  await app?.stop()
  await stack?.stop()
  await prisma.$disconnect()
  db.remove()
})

const COOKIE = '__Host-iapm_session'
const random = (n: number) =>
  Array.from(
    { length: n },
    () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[Math.floor(Math.random() * 64)],
  ).join('')

async function loggedIn(email: string): Promise<Client> {
  const c = new Client(app.url)
  await c.login(email)
  return c
}

describe('hostile traffic costs (almost) nothing', () => {
  it('200 anonymous requests with made-up session cookies from one address: at most RATE_LIMIT_MAX + 10 billed commands', async () => {
    // Its own server: the address's budget is spent here.
    const own = await startApp({
      ...stack.env,
      DATABASE_URL: db.url,
      REDIS_KEY_PREFIX: uniquePrefix('hostile'),
      RATE_LIMIT_MAX: String(LIMIT),
      UPSTASH_USAGE_FLUSH_SECONDS: '0',
    })
    const { total, byCommand } = await billedCommands(stack.env.REDIS_URL, async () => {
      const statuses = new Set<number>()
      for (let i = 0; i < 200; i++) {
        // Random ids, and random ids dressed as signed ones.
        const value = i % 2 ? random(32) : `${random(32)}.${random(22)}`
        const res = await fetch(`${own.url}/api/dossiers`, { headers: { cookie: `${COOKIE}=${value}` } })
        statuses.add(res.status)
      }
      expect(statuses).toEqual(new Set([401, 429]))
    }).finally(() => own.stop())
    // No session lookup at all (the signature is checked first), and refused callers answered from memory.
    expect(byCommand.getex ?? 0).toBe(0)
    expect(total, JSON.stringify(byCommand)).toBeLessThanOrEqual(LIMIT + 10)
  })

  it('100 /api/health calls: at most 5 billed commands', async () => {
    const { total } = await billedCommands(stack.env.REDIS_URL, async () => {
      const answers = await Promise.all(Array.from({ length: 100 }, () => fetch(`${app.url}/api/health`)))
      expect(answers.map((r) => r.status)).toEqual(Array(100).fill(200))
    })
    expect(total).toBeLessThanOrEqual(5)
  })

  it('a warm logged-in page still costs 3 billed commands', async () => {
    const c = await loggedIn('avocat@cabinet-martin.fr')
    await c.get('/api/dossiers')
    await c.get('/api/dossiers') // this instance has now seen the session: one round trip
    const { total, byCommand } = await billedCommands(stack.env.REDIS_URL, async () => {
      const res = await c.get('/api/dossiers')
      expect(res.status).toBe(200)
      expect(res.headers.get('x-cache')).toBe('HIT')
    })
    expect(total, JSON.stringify(byCommand)).toBe(3)
  })
})

describe('session lifetime and revocation', () => {
  it('ends a session older than SESSION_MAX_LIFETIME_SECONDS, however active', async () => {
    const c = await loggedIn('assistant@cabinet-dupont.fr')
    expect((await c.get('/api/auth/me')).status).toBe(200)
    const id = c.cookie!.split('=')[1]!.split('.')[0]!
    const direct = await directClient(stack.env.REDIS_URL)
    try {
      const key = `${prefix}:session:${id}`
      const data = JSON.parse((await direct.get(key))!)
      // Logged in 8 days ago (the default bound is 7), active all along.
      await direct.set(key, JSON.stringify({ ...data, createdAt: Date.now() - 8 * 86_400_000 }), { KEEPTTL: true })
      expect((await c.get('/api/auth/me')).status).toBe(401)
      expect(await direct.exists(key)).toBe(0)
    } finally {
      await direct.close()
    }
  })

  it('POST /api/auth/logout-all ends every session of the caller, and only theirs', async () => {
    const [laptop, phone] = [await loggedIn('avocat@cabinet-dupont.fr'), await loggedIn('avocat@cabinet-dupont.fr')]
    const colleague = await loggedIn('demo@cabinet-dupont.fr')
    const res = await phone.post('/api/auth/logout-all')
    expect(res.status).toBe(200)
    expect((await res.json()).ended).toBeGreaterThanOrEqual(2)
    expect(res.headers.getSetCookie().join()).toMatch(new RegExp(`${COOKIE}=;`))
    expect((await laptop.get('/api/auth/me')).status).toBe(401)
    expect((await colleague.get('/api/auth/me')).status).toBe(200)
    // Logging in again works.
    expect((await (await loggedIn('avocat@cabinet-dupont.fr')).get('/api/auth/me')).status).toBe(200)
  })
})

describe('the team, managed by the cabinet ADMIN', () => {
  it("lists the cabinet's users to its ADMIN only", async () => {
    const admin = await loggedIn('demo@cabinet-martin.fr')
    const res = await admin.get('/api/users')
    expect(res.status).toBe(200)
    const { users } = (await res.json()) as { users: { email: string; role: string; active: boolean }[] }
    expect(users.map((u) => u.email).sort()).toEqual(['avocat@cabinet-martin.fr', 'demo@cabinet-martin.fr'])
    expect(users[0]).toMatchObject({ role: 'ADMIN', active: true })
    expect(JSON.stringify(users)).not.toMatch(/passwordHash|scrypt/)
    expect((await (await loggedIn('avocat@cabinet-martin.fr')).get('/api/users')).status).toBe(403)
  })

  it("a role changed through the app ends the user's sessions at once; the new role applies at the next login", async () => {
    const admin = await loggedIn('demo@cabinet-dupont.fr')
    const avocat = await loggedIn('avocat@cabinet-dupont.fr')
    const user = await prisma.user.findUniqueOrThrow({ where: { email: 'avocat@cabinet-dupont.fr' } })
    const dossier = await prisma.dossier.findFirstOrThrow({ where: { tenantId: 'cabinet-dupont' } })
    const res = await admin.patch(`/api/users/${user.id}`, { role: 'ASSISTANT' })
    expect(res.status).toBe(200)
    expect((await res.json()).user).toMatchObject({
      email: 'avocat@cabinet-dupont.fr',
      role: 'ASSISTANT',
      active: true,
    })
    expect((await avocat.get('/api/dossiers')).status).toBe(401)
    const again = await loggedIn('avocat@cabinet-dupont.fr')
    expect((await again.delete(`/api/dossiers/${dossier.id}`)).status).toBe(403)
    expect(await prisma.dossier.count({ where: { id: dossier.id } })).toBe(1)
    await admin.patch(`/api/users/${user.id}`, { role: 'AVOCAT' })
  })

  it('a deactivated account is logged out and cannot log in; reactivated, it can', async () => {
    const admin = await loggedIn('demo@cabinet-dupont.fr')
    const assistant = await loggedIn('assistant@cabinet-dupont.fr')
    const user = await prisma.user.findUniqueOrThrow({ where: { email: 'assistant@cabinet-dupont.fr' } })
    expect((await admin.patch(`/api/users/${user.id}`, { active: false })).status).toBe(200)
    expect((await assistant.get('/api/dossiers')).status).toBe(401)
    const login = await new Client(app.url).post('/api/auth/login', {
      email: 'assistant@cabinet-dupont.fr',
      password: 'demo-password',
    })
    expect(login.status).toBe(401)
    expect(await login.json()).toEqual({ error: 'e-mail ou mot de passe incorrect' })
    expect((await admin.patch(`/api/users/${user.id}`, { active: true })).status).toBe(200)
    await loggedIn('assistant@cabinet-dupont.fr')
  })

  it("refuses another cabinet's user (404), a bad body (400), and leaving the cabinet without an active ADMIN (409)", async () => {
    const admin = await loggedIn('demo@cabinet-dupont.fr')
    const foreign = await prisma.user.findUniqueOrThrow({ where: { email: 'avocat@cabinet-martin.fr' } })
    const self = await prisma.user.findUniqueOrThrow({ where: { email: 'demo@cabinet-dupont.fr' } })
    const notFound = await admin.patch(`/api/users/${foreign.id}`, { role: 'ASSISTANT' })
    expect(notFound.status).toBe(404)
    expect(await admin.patch('/api/users/does-not-exist', { role: 'ASSISTANT' }).then((r) => r.status)).toBe(404)
    expect(await prisma.user.findUniqueOrThrow({ where: { id: foreign.id } })).toMatchObject({ role: 'AVOCAT' })
    for (const body of [{}, { role: 'ROOT' }, { active: 'no' }, { role: 'ADMIN', tenantId: 'cabinet-martin' }]) {
      const res = await admin.patch(`/api/users/${self.id}`, body)
      expect(res.status, JSON.stringify(body)).toBe(400)
    }
    for (const body of [{ role: 'AVOCAT' }, { active: false }]) {
      const res = await admin.patch(`/api/users/${self.id}`, body)
      expect(res.status, JSON.stringify(body)).toBe(409)
      expect((await res.json()).error).toMatch(/at least one active ADMIN/)
    }
    expect((await admin.get('/api/auth/me')).status).toBe(200) // nothing changed: still logged in
  })

  it('a change made in the database directly reaches live sessions within SESSION_RECHECK_SECONDS', async () => {
    const c = await loggedIn('avocat@cabinet-martin.fr')
    expect((await (await c.get('/api/auth/me')).json()).user.role).toBe('AVOCAT')
    await prisma.user.update({ where: { email: 'avocat@cabinet-martin.fr' }, data: { role: 'ASSISTANT' } })
    await vi.waitFor(async () => expect((await (await c.get('/api/auth/me')).json()).user.role).toBe('ASSISTANT'), {
      timeout: 5_000,
      interval: 200,
    })
    await prisma.user.update({ where: { email: 'avocat@cabinet-martin.fr' }, data: { active: false } })
    await vi.waitFor(async () => expect((await c.get('/api/auth/me')).status).toBe(401), {
      timeout: 5_000,
      interval: 200,
    })
    await prisma.user.update({ where: { email: 'avocat@cabinet-martin.fr' }, data: { active: true, role: 'AVOCAT' } })
  })
})

describe('login lockout cannot be turned against the owner', () => {
  it("a browser that logged in before keeps a budget of its own: guesses from elsewhere lock out everyone but the owner's device", async () => {
    const own = await startApp({
      ...stack.env,
      DATABASE_URL: db.url,
      REDIS_KEY_PREFIX: uniquePrefix('device'),
      LOGIN_MAX_PER_EMAIL: '3',
      LOGIN_MAX_PER_EMAIL_AND_ADDRESS: '100',
      LOGIN_MAX_PER_ADDRESS: '1000',
    })
    const login = (password: string, cookie?: string) =>
      fetch(`${own.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        body: JSON.stringify({ email: 'avocat@cabinet-martin.fr', password }),
      })
    try {
      const first = await login('demo-password')
      expect(first.status).toBe(200)
      const device = first.headers.getSetCookie().find((c) => c.startsWith('__Host-iapm_device='))!
      expect(device).toMatch(/HttpOnly/i)
      const deviceCookie = device.split(';')[0]!

      // Someone else guesses: the e-mail's shared budget (3, the owner's first login included) runs out,
      // for them and any new browser.
      const guesses = []
      for (let i = 0; i < 4; i++) guesses.push((await login(`guess-${i}`)).status)
      expect(guesses).toEqual([401, 401, 429, 429])
      expect((await login('demo-password')).status).toBe(429)
      // A forged device cookie is no device.
      expect(
        (await login('demo-password', `__Host-iapm_device=${deviceCookie.split('=')[1]!.slice(0, -3)}abc`)).status,
      ).toBe(429)

      // The owner's browser still gets in.
      expect((await login('demo-password', deviceCookie)).status).toBe(200)
    } finally {
      await own.stop()
    }
  })
})
