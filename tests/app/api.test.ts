import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { NextRequest } from 'next/server'
import { tempDatabase } from '../support/database'
import { directClient } from '../support/redis-direct'
import { uniquePrefix } from '../support/stack'

/**
 * The app's route handlers and proxy, called as Next calls them, on the process-wide helpers
 * (real Redis through the endpoint, a real SQLite file with the project's migrations).
 */
const db = tempDatabase('api')
Object.assign(process.env, inject('stack'), { DATABASE_URL: db.url, REDIS_KEY_PREFIX: uniquePrefix('api') })

type Modules = {
  health: typeof import('@/app/api/health/route')
  dossiers: typeof import('@/app/api/tenants/[tenantId]/dossiers/route')
  proxy: typeof import('@/proxy')
  prisma: typeof import('@/lib/prisma')['prisma']
  queue: typeof import('@/lib/upstash')['queue']
}
let m: Modules
let tenantId: string

beforeAll(async () => {
  // Imported after the env above is set: the layer and Prisma read it on first use.
  m = {
    health: await import('@/app/api/health/route'),
    dossiers: await import('@/app/api/tenants/[tenantId]/dossiers/route'),
    proxy: await import('@/proxy'),
    prisma: (await import('@/lib/prisma')).prisma,
    queue: (await import('@/lib/upstash')).queue,
  }
  tenantId = (await m.prisma.tenant.create({ data: { name: 'Cabinet Dupont', dossiers: { create: [{ reference: 'D-1', title: 'Succession' }] } } })).id
})
afterAll(async () => {
  await m.prisma.$disconnect()
  db.remove()
})

const params = (id: string) => ({ params: Promise.resolve({ tenantId: id }) })
const post = (body: string) => new Request('http://app/api', { method: 'POST', body, headers: { 'content-type': 'application/json' } })

describe('GET /api/health', () => {
  it('reports Redis and the database up', async () => {
    const res = await m.health.GET()
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body).toMatchObject({ status: 'ok', redis: { status: 'up' }, database: { status: 'up' } })
    expect(body.redis.latencyMs).toBeGreaterThan(0)
  })
})

describe('/api/tenants/[tenantId]/dossiers', () => {
  it('lists a cabinet’s dossiers, and only its own', async () => {
    const res = await m.dossiers.GET(new Request('http://app/api'), params(tenantId))
    expect(res.status).toBe(200)
    expect((await res.json()).dossiers.map((d: { reference: string }) => d.reference)).toEqual(['D-1'])
    const other = await m.dossiers.GET(new Request('http://app/api'), params('cabinet-inconnu'))
    expect((await other.json()).dossiers).toEqual([])
  })

  it('rejects a bad body with 400 naming the field, and creates nothing', async () => {
    const before = await m.prisma.dossier.count()
    const empty = await m.dossiers.POST(post('{"reference":"D-2","title":""}'), params(tenantId))
    expect(empty.status).toBe(400)
    expect((await empty.json()).error).toMatch(/title must not be empty/)
    const notJson = await m.dossiers.POST(post('{oops'), params(tenantId))
    expect(notJson.status).toBe(400)
    expect((await notJson.json()).error).toMatch(/JSON/)
    expect(await m.prisma.dossier.count()).toBe(before)
  })

  it('answers 409 for a reference already used in the cabinet and 404 for an unknown cabinet', async () => {
    const dup = await m.dossiers.POST(post('{"reference":"D-1","title":"Again"}'), params(tenantId))
    expect(dup.status).toBe(409)
    expect((await dup.json()).error).toMatch(/reference "D-1" already exists/)
    const unknown = await m.dossiers.POST(post('{"reference":"X-1","title":"Nobody"}'), params('cabinet-inconnu'))
    expect(unknown.status).toBe(404)
    expect((await unknown.json()).error).toMatch(/tenant "cabinet-inconnu" does not exist/)
  })

  it('creates a dossier, queues its analysis, and the cached list shows it at once', async () => {
    await m.dossiers.GET(new Request('http://app/api'), params(tenantId)) // warm the cache
    const waitingBefore = (await m.queue.stats('ai-analysis-queue')).waiting
    const res = await m.dossiers.POST(post('{"reference":"D-3","title":"Bail commercial"}'), params(tenantId))
    expect(res.status).toBe(201)
    const body = await res.json()
    expect(body).toMatchObject({ analysis: 'queued', dossier: { reference: 'D-3', tenantId } })
    expect((await m.queue.stats('ai-analysis-queue')).waiting).toBe(waitingBefore + 1)
    const list = await (await m.dossiers.GET(new Request('http://app/api'), params(tenantId))).json()
    expect(list.dossiers.map((d: { reference: string }) => d.reference)).toContain('D-3')
  })

  it('says the analysis was queued when it was, even if scoring the cabinet then fails', async () => {
    // Something else holds the leaderboard key as a string: ZINCRBY answers WRONGTYPE, after the push succeeded.
    const board = `${process.env.REDIS_KEY_PREFIX}:zset:tenant-leaderboard`
    const direct = await directClient(inject('stack').REDIS_URL)
    await direct.set(board, 'not a sorted set') // this file's own prefix: nothing else reads it
    try {
      const waitingBefore = (await m.queue.stats('ai-analysis-queue')).waiting
      const res = await m.dossiers.POST(post('{"reference":"D-4","title":"Divorce"}'), params(tenantId))
      expect(res.status).toBe(201)
      expect((await m.queue.stats('ai-analysis-queue')).waiting).toBe(waitingBefore + 1)
      expect((await res.json()).analysis).toBe('queued')
    } finally {
      await direct.del(board)
      await direct.close()
    }
  })
})

describe('proxy (rate limiting)', () => {
  const request = (ip: string) => new NextRequest('http://app/api/tenants/x/dossiers', { headers: { 'x-forwarded-for': `${ip}, 10.0.0.1` } })

  it('lets 100 requests per client through in 15 minutes, then answers 429 with Retry-After', async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250)}-${uniquePrefix('ip')}`
    const answers = await Promise.all(Array.from({ length: 105 }, () => m.proxy.proxy(request(ip))))
    const statuses = answers.map((r) => r.status)
    expect(statuses.filter((s) => s === 429)).toHaveLength(5)
    const denied = answers.find((r) => r.status === 429)!
    expect(Number(denied.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(denied.headers.get('x-ratelimit-remaining')).toBe('0')
    expect((await denied.json()).error).toMatch(/Rate limit/)
    const allowed = answers.find((r) => r.status !== 429)!
    expect(allowed.headers.get('x-ratelimit-limit')).toBe('100')
    // Another client has its own budget.
    expect((await m.proxy.proxy(request(`${ip}-other`))).status).not.toBe(429)
  })

  it('keys clients by the first X-Forwarded-For hop, bounded in length', () => {
    expect(m.proxy.clientIdentity(request('198.51.100.7'))).toBe('198.51.100.7')
    expect(m.proxy.clientIdentity(request('x'.repeat(5000)))).toHaveLength(64)
    expect(m.proxy.clientIdentity(new NextRequest('http://app/api'))).toBe('unknown')
  })

  it('skips the health check', () => {
    const [matcher] = m.proxy.config.matcher
    // Next's matcher is a path-to-regexp pattern; this one is also a plain regular expression.
    const re = new RegExp(`^${matcher}$`)
    expect(re.test('/api/health')).toBe(false)
    expect(re.test('/api/tenants/a/dossiers')).toBe(true)
  })
})
