/**
 * What one cabinet (or one user) can pile up in the analysis pipeline: a bound on pending analyses per
 * cabinet, a per-user rate limit, and fairness between cabinets in the one queue, with a real worker,
 * a real redis-server (private stack, so billed commands are counted) and Prisma on a real SQLite file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AI_ANALYSIS_QUEUE } from '@/lib/analyses/job'
import type { AIPipeline } from '@/lib/analyses/pipeline'
import { AnalysisLimitError } from '@/lib/analyses/request'
import type { Analyzer } from '@/lib/analyses/analyzer'
import { createLocalAnalyzer } from '@/lib/analyses/analyzer'
import { parseAppConfig } from '@/lib/core/config'
import { createPrismaClient } from '@/lib/core/prisma'
import { createRateLimit, type Queue } from '@/lib/upstash'
import { tempDatabase } from '../../testing/database'
import { billedCommands } from '../../testing/redis-direct'
import { startStack, type Stack } from '../../testing/stack'
import { pipelineOn } from '../support/pipeline'
import { stackContext } from '../support/redis'

const db = tempDatabase('analysis-limits')
const prisma = createPrismaClient(db.url)
let stack: Stack
let tenantA: string
let tenantB: string

beforeAll(async () => {
  stack = await startStack()
  tenantA = (await prisma.tenant.create({ data: { name: 'Cabinet A', referencePrefix: 'AAA' } })).id
  tenantB = (await prisma.tenant.create({ data: { name: 'Cabinet B', referencePrefix: 'BBB' } })).id
})
afterAll(async () => {
  await stack?.stop()
  await prisma.$disconnect()
  db.remove()
})

let n = 0
async function newDossier(tenantId: string): Promise<string> {
  n++
  const d = await prisma.dossier.create({
    data: {
      tenantId,
      reference: `REF-${n}`,
      title: `Dossier ${n}`,
      clientName: 'Mme Test',
      description: 'Bail commercial : loyer impayé de 4 200 €.',
    },
  })
  return d.id
}

function pipeline(
  options: {
    maxPendingPerCabinet?: number
    userRateLimit?: { limit: number; windowSeconds: number }
    analyzer?: Analyzer
  } = {},
): { pipeline: AIPipeline; queue: Queue } {
  const ctx = stackContext(stack.env, 'limits')
  return pipelineOn(prisma, ctx, {
    analyzer: options.analyzer ?? createLocalAnalyzer(),
    maxPendingPerCabinet: options.maxPendingPerCabinet ?? 1000,
    userRateLimit: options.userRateLimit ?? { limit: 1000, windowSeconds: 60 },
    rateLimit: createRateLimit(ctx),
  })
}

describe('ANALYSIS_MAX_PENDING_PER_CABINET', () => {
  it('is validated, default 20', () => {
    expect(parseAppConfig({}).analysisMaxPendingPerCabinet).toBe(20)
    expect(parseAppConfig({ ANALYSIS_MAX_PENDING_PER_CABINET: '5' }).analysisMaxPendingPerCabinet).toBe(5)
    expect(() => parseAppConfig({ ANALYSIS_MAX_PENDING_PER_CABINET: '0' })).toThrow(
      /ANALYSIS_MAX_PENDING_PER_CABINET must be a whole number from 1/,
    )
    expect(() => parseAppConfig({ ANALYSIS_RATE_LIMIT_MAX: 'many' })).toThrow(/ANALYSIS_RATE_LIMIT_MAX/)
    expect(parseAppConfig({}).analysisRateLimit).toEqual({ limit: 30, windowSeconds: 600 })
  })

  it('one more than the bound → 429, nothing queued, no row; the other cabinet is unaffected; a pending one is still answered', async () => {
    const { pipeline: ai, queue } = pipeline({ maxPendingPerCabinet: 3 })
    const dossiers = await Promise.all(Array.from({ length: 4 }, () => newDossier(tenantA)))
    const first = []
    for (const d of dossiers.slice(0, 3)) first.push(await ai.requestAnalysis(tenantA, d))
    const rowsBefore = await prisma.analysis.count({ where: { tenantId: tenantA } })
    const refused = await ai.requestAnalysis(tenantA, dossiers[3]!).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AnalysisLimitError)
    expect(refused).toMatchObject({
      status: 429,
      reason: 'cabinet-pending',
      limit: 3,
      message: expect.stringMatching(/too many analyses pending for this cabinet \(at most 3\)/),
    })
    expect(await prisma.analysis.count({ where: { tenantId: tenantA } })).toBe(rowsBefore)
    expect((await queue.stats(AI_ANALYSIS_QUEUE)).waiting).toBe(3)
    // Asking again for one already pending is not "one more": same job, nothing new.
    expect(await ai.requestAnalysis(tenantA, dossiers[0]!)).toEqual({ jobId: first[0]!.jobId, created: false })
    // Cabinet B is not held back by A's bound.
    expect(await ai.requestAnalysis(tenantB, await newDossier(tenantB))).toMatchObject({ created: true })
    // Once one of A's finishes, A may ask again.
    expect(await ai.processAIQueue()).toMatchObject({ status: 'acked' })
    expect(await ai.requestAnalysis(tenantA, dossiers[3]!)).toMatchObject({ created: true })
    while ((await ai.processAIQueue()).status !== 'empty');
  })

  it('20 concurrent requests against a bound of 5: exactly 5 queued, the rest 429, every queued one has its row', async () => {
    const { pipeline: ai, queue } = pipeline({ maxPendingPerCabinet: 5 })
    const cabinet = (await prisma.tenant.create({ data: { name: 'Cabinet Concurrent', referencePrefix: 'CCC' } })).id
    const dossiers = await Promise.all(Array.from({ length: 20 }, () => newDossier(cabinet)))
    const results = await Promise.allSettled(dossiers.map((d) => ai.requestAnalysis(cabinet, d)))
    const ok = results.filter((r) => r.status === 'fulfilled')
    const refused = results.filter((r) => r.status === 'rejected')
    // The first 5 rows created stay (each counts the rows ahead of its own); the bound is never passed.
    expect(ok.length).toBe(5)
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AnalysisLimitError)
    expect(await prisma.analysis.count({ where: { tenantId: cabinet, pendingFor: { not: null } } })).toBe(ok.length)
    expect((await queue.stats(AI_ANALYSIS_QUEUE)).waiting).toBe(ok.length)
  })
})

describe('per-user rate limit on analysis requests', () => {
  it('the (limit+1)-th request of a user in the window → 429 with Retry-After, nothing queued; another user is not affected', async () => {
    const { pipeline: ai, queue } = pipeline({ userRateLimit: { limit: 2, windowSeconds: 60 } })
    const [d1, d2, d3] = await Promise.all([newDossier(tenantA), newDossier(tenantA), newDossier(tenantA)])
    await ai.requestAnalysis(tenantA, d1!, 'normal', { userId: 'user-1' })
    await ai.requestAnalysis(tenantA, d2!, 'normal', { userId: 'user-1' })
    const refused = await ai.requestAnalysis(tenantA, d3!, 'normal', { userId: 'user-1' }).catch((e: unknown) => e)
    expect(refused).toMatchObject({ status: 429, reason: 'user-rate', limit: 2 })
    const retryAfter = Number((refused as AnalysisLimitError).headers['retry-after'])
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(120)
    expect(await prisma.analysis.count({ where: { dossierId: d3! } })).toBe(0)
    expect((await queue.stats(AI_ANALYSIS_QUEUE)).waiting).toBe(2)
    expect(await ai.requestAnalysis(tenantA, d3!, 'normal', { userId: 'user-2' })).toMatchObject({ created: true })
    while ((await ai.processAIQueue()).status !== 'empty');
  })
})

describe('fairness between cabinets (real worker)', () => {
  it('cabinet A queues 50 analyses, then cabinet B 1: B’s is among the worker’s next 2, and done within ~2 jobs’ time', async () => {
    // Each analysis takes 40 ms of real time, as a slow analyser would.
    const slow: Analyzer = {
      name: 'slow',
      analyze: async (d) => (await new Promise((r) => setTimeout(r, 40)), createLocalAnalyzer().analyze(d)),
    }
    const { pipeline: ai } = pipeline({ analyzer: slow })
    const aDossiers = await Promise.all(Array.from({ length: 50 }, () => newDossier(tenantA)))
    for (const d of aDossiers) await ai.requestAnalysis(tenantA, d)
    const bDossier = await newDossier(tenantB)
    const { jobId: bJob } = await ai.requestAnalysis(tenantB, bDossier)

    const order: string[] = []
    const stop = new AbortController()
    const worker = ai.runAIWorker({
      signal: stop.signal,
      minIdleMs: 5,
      maxIdleMs: 20,
      onReserved: (job) => {
        order.push((job.data as { tenantId: string }).tenantId)
        if (job.id === bJob) stop.abort()
      },
    })
    await worker
    expect(order.at(-1)).toBe(tenantB)
    expect(
      order.length,
      `reservation order: ${order.map((t) => (t === tenantA ? 'A' : 'B')).join('')}`,
    ).toBeLessThanOrEqual(2)
    expect(await prisma.analysis.findUnique({ where: { id: bJob } })).toMatchObject({ status: 'DONE' })
    while ((await ai.processAIQueue()).status !== 'empty');
  })

  it('billed cost of a request: the grouped push 4, the cabinet’s invalidation 1, the user’s rate limit (≤ 3 on a fresh key)', async () => {
    const { pipeline: ai } = pipeline()
    // The queue's scripts are loaded on first use (one EVAL): not part of a request's cost.
    await ai.requestAnalysis(tenantB, await newDossier(tenantB))
    while ((await ai.processAIQueue()).status !== 'empty');
    const d = await newDossier(tenantB)
    const { byCommand, total } = await billedCommands(stack.env.REDIS_URL, () =>
      ai.requestAnalysis(tenantB, d, 'normal', { userId: 'cost-user' }),
    )
    // EVALSHA of the push script and the three commands it runs; SET: the cabinet's cache generation.
    expect(byCommand).toMatchObject({ evalsha: 1, hget: 1, zadd: 1, hset: 1, set: 1 })
    expect(total - 5).toBeGreaterThanOrEqual(1)
    expect(total - 5).toBeLessThanOrEqual(3)
    // Without a requester (server-side calls, the seed's queueAIAnalysis): no rate limit.
    const d2 = await newDossier(tenantB)
    expect((await billedCommands(stack.env.REDIS_URL, () => ai.requestAnalysis(tenantB, d2))).total).toBe(5)
  })
})
