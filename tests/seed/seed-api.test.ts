import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { tempDatabase } from '../../testing/database'
import { uniquePrefix } from '../../testing/stack'

/**
 * The user's guide (shared/seed/upstash-setup.fr.md) calls these exactly as written, through the
 * process-wide helpers of '@/lib/upstash'. Each block below is the guide's code, then what it must give.
 */
// The AI queue use case analyses a real dossier: the process-wide Prisma client gets a throwaway database.
const db = tempDatabase('seed-api')
Object.assign(process.env, inject('stack'), { REDIS_KEY_PREFIX: uniquePrefix('seed'), DATABASE_URL: db.url })
afterAll(() => db.remove())
let lib: typeof import('@/lib/upstash')
beforeAll(async () => {
  lib = await import('@/lib/upstash')
})

interface User {
  name: string
  role: string
}
interface EmailTask {
  to: string
  subject: string
  template: string
}

describe('the guide’s examples, verbatim', () => {
  it('1. cache', async () => {
    const { cache } = lib
    await cache.set('user:123', { name: 'John', role: 'admin' }, 3600)
    const user = await cache.get<User>('user:123')
    expect(user).toEqual({ name: 'John', role: 'admin' })
    expect(await cache.exists('user:123')).toBe(true)
    await cache.del('user:123')
    const exists = await cache.exists('user:123')
    expect(exists).toBe(false)
  })

  it('2. sessions', async () => {
    const { session } = lib
    await session.set('user-abc', { userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' })
    const sessionData = await session.get('user-abc')
    expect(sessionData).toEqual({ userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' })
    await session.delete('user-abc')
    expect(await session.get('user-abc')).toBeNull()
  })

  it('3. rate limiting', async () => {
    const { session } = lib
    const userId = uniquePrefix('u')
    const { allowed, remaining, resetAt } = await session.rateLimit(`api:${userId}`, 100, 900)
    expect(allowed).toBe(true)
    expect(remaining).toBe(99)
    expect(resetAt).toBeGreaterThan(Date.now())
    expect(resetAt).toBeLessThanOrEqual(Date.now() + 900_000)
  })

  it('4. queues', async () => {
    const { queue } = lib
    await queue.push('email-queue', { to: 'client@example.com', subject: 'Welcome!', template: 'welcome' })
    const length = await queue.length('email-queue')
    expect(length).toBe(1)
    const task = await queue.pop<EmailTask>('email-queue')
    expect(task).toEqual({ to: 'client@example.com', subject: 'Welcome!', template: 'welcome' })
    expect(await queue.pop('email-queue')).toBeNull()
  })

  it('5. sorted sets', async () => {
    const { sortedSet } = lib
    await sortedSet.add('dossier-activity', 'dossier-123', Date.now())
    await sortedSet.add('dossier-activity', 'dossier-456', Date.now() - 1000)
    const topDossiers = await sortedSet.top('dossier-activity', 10)
    expect(topDossiers.map((e) => e.member)).toEqual(['dossier-123', 'dossier-456'])
    await sortedSet.increment('user-points', 'user-123', 10)
    expect(await sortedSet.increment('user-points', 'user-123', 10)).toBe(20)
  })

  it('6. hash maps', async () => {
    const { hashMap } = lib
    await hashMap.set('tenant:xyz', { name: 'Cabinet Dupont', plan: 'PREMIUM', activeDossiers: 42 })
    const plan = await hashMap.get('tenant:xyz', 'plan')
    expect(plan).toBe('PREMIUM')
    const tenant = await hashMap.getAll('tenant:xyz')
    expect(tenant).toEqual({ name: 'Cabinet Dupont', plan: 'PREMIUM', activeDossiers: 42 })
  })

  it('health check', async () => {
    const healthy = await lib.isRedisAvailable()
    expect(healthy).toBe(true)
  })

  it('the raw client (scripts/test-upstash.ts in the guide)', async () => {
    const { redis } = lib
    expect(await redis.ping()).toBe('PONG')
    await redis.set('test-key', 'Hello Upstash!', { ex: 60 })
    expect(await redis.get('test-key')).toBe('Hello Upstash!')
    expect(await redis.ttl('test-key')).toBeGreaterThan(0)
    await redis.del('test-key')
    expect(await redis.exists('test-key')).toBe(0)
  })

  it('use cases: AI queue and cabinet leaderboard', async () => {
    const { getCachedDossiers, queueAIAnalysis, processAIQueue, updateTenantScore, getTopTenants } =
      await import('@/lib/services/seed-api')
    const { prisma } = await import('@/lib/core/prisma')
    await prisma.tenant.create({
      data: {
        id: 'tenant-xyz',
        name: 'Cabinet Dupont',
        dossiers: {
          create: { id: 'dossier-123', reference: 'DUP-2026-123', title: 'Succession', clientName: 'M. Durand' },
        },
      },
    })
    expect((await getCachedDossiers('tenant-xyz')).map((d) => d.id)).toEqual(['dossier-123'])
    const jobId = await queueAIAnalysis('dossier-123')
    expect((await lib.queue.stats('ai-analysis-queue')).waiting).toBeGreaterThanOrEqual(1)
    expect(await processAIQueue()).toMatchObject({ status: 'acked', job: { id: jobId } })
    expect(await prisma.analysis.findUniqueOrThrow({ where: { id: jobId } })).toMatchObject({
      status: 'DONE',
      dossierId: 'dossier-123',
    })
    await updateTenantScore('tenant-a', 5)
    await updateTenantScore('tenant-b', 7)
    await updateTenantScore('tenant-a', 3)
    expect(await getTopTenants()).toEqual([
      { member: 'tenant-a', score: 8 },
      { member: 'tenant-b', score: 7 },
      // The analysis processed above completed: its cabinet earned its 3 points.
      { member: 'tenant-xyz', score: 3 },
    ])
  })
})
