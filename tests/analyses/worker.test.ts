/**
 * The AI analysis pipeline (src/lib/analyses) on a real SQLite database and real Redis:
 * requestAnalysis / processAIQueue / reconcileDeadLetters in-process, on helpers built for this file
 * (own key prefix per test), and scripts/worker.ts as a real child process (killed with SIGKILL,
 * stopped with SIGTERM) sharing that database and key prefix.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { afterAll, describe, expect, inject, it, vi } from 'vitest'
import type { Dossier } from '@/generated/prisma/client'
import { analyzeDossier, type AnalysisResult, type Analyzer } from '@/lib/analyses/analyzer'
import { AI_ANALYSIS_QUEUE, type AIAnalysisTask } from '@/lib/analyses/job'
import { createAIPipeline, type AIPipeline, type AIPipelineDeps } from '@/lib/analyses/pipeline'
import { createAnalysisReads } from '@/lib/analyses/read-model'
import { createDossierService } from '@/lib/dossiers/service'
import { HttpError } from '@/lib/core/http-error'
import { createPrismaClient } from '@/lib/core/prisma'
import { createLeaderboard, TENANT_LEADERBOARD } from '@/lib/scores/leaderboard'
import { createCabinetCache } from '@/lib/tenants/cabinet-cache'
import {
  createCache,
  createContext,
  createHashMap,
  createQueue,
  createSortedSet,
  PermanentJobError,
  RedisUnavailableError,
  type JobOutcome,
  type QueueOptions,
} from '@/lib/upstash'
import { tempDatabase } from '../../testing/database'
import { uniquePrefix } from '../../testing/stack'
import { startWorker as startWorkerProcess } from '../support/worker-process'
import { unreachableContext } from '../support/redis'

const stack = inject('stack')
const db = tempDatabase('worker')
const prisma = createPrismaClient(db.url)
const root = path.resolve(import.meta.dirname, '../..')
const children: ChildProcess[] = []

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  await prisma.$disconnect()
  db.remove()
})

/** A dossier whose analysis does not depend on today's date (no dates in its text). */
const DESCRIPTION =
  "Licenciement pour faute grave contesté devant le conseil de prud'hommes. Le salarié réclame 15 000 € d'indemnités et 2 300,50 € de rappel de salaire."

/** A new cabinet with two dossiers, and a second cabinet with one. */
async function seedCabinets() {
  const tenant = await prisma.tenant.create({
    data: { name: 'Cabinet Dupont', plan: 'PREMIUM', referencePrefix: 'DUP' },
  })
  const other = await prisma.tenant.create({ data: { name: 'Cabinet Martin' } })
  const dossier = await prisma.dossier.create({
    data: {
      tenantId: tenant.id,
      reference: 'DUP-2026-001',
      title: 'Licenciement Roux',
      clientName: 'M. Roux',
      description: DESCRIPTION,
    },
  })
  const second = await prisma.dossier.create({
    data: { tenantId: tenant.id, reference: 'DUP-2026-002', title: 'Bail commercial', clientName: 'SCI Lune' },
  })
  const foreign = await prisma.dossier.create({
    data: { tenantId: other.id, reference: 'DOS-2026-001', title: 'Divorce Petit', clientName: 'Mme Petit' },
  })
  return { tenantId: tenant.id, otherTenantId: other.id, dossier, second, foreign }
}

/** Redis helpers on a key prefix of their own, and a pipeline on them (what a child worker gets with `env`). */
function world(label: string, queueOptions: QueueOptions = {}) {
  const env = {
    ...stack,
    REDIS_KEY_PREFIX: uniquePrefix(label),
    REDIS_ENABLED: 'true',
    UPSTASH_DISABLE_TELEMETRY: 'true',
    DATABASE_URL: db.url,
  }
  const ctx = createContext(env)
  const queue = createQueue(ctx, { backoffMs: 20, ...queueOptions })
  const sortedSet = createSortedSet(ctx)
  const leaderboard = createLeaderboard(sortedSet)
  const cabinet = createCabinetCache({ prisma, cache: createCache(ctx), hashMap: createHashMap(ctx), log: () => {} })
  const pipeline = (deps: AIPipelineDeps = {}): AIPipeline =>
    createAIPipeline({ prisma, queue, invalidate: cabinet.invalidate, leaderboard, ...deps })
  return {
    env,
    queue,
    leaderboard,
    /** The dossier service on this cabinet cache (unscored: the pipeline's scoring is what is tested). */
    dossiers: createDossierService({ prisma, cabinetCache: cabinet }),
    analyses: createAnalysisReads({ prisma, cabinetCache: cabinet }),
    pipeline,
    stats: () => queue.stats(AI_ANALYSIS_QUEUE),
    score: (tenantId: string) => sortedSet.score(TENANT_LEADERBOARD, tenantId),
  }
}

/** An analyser returning a fixed result, counting its calls and running `before` first (to look at the row while it runs). */
function fakeAnalyzer(before?: (dossier: Dossier) => Promise<void> | void): Analyzer & { calls: number } {
  const analyzer = {
    name: 'test-analyzer',
    calls: 0,
    async analyze(input: unknown): Promise<AnalysisResult> {
      analyzer.calls++
      await before?.(input as Dossier)
      return RESULT
    },
  }
  return analyzer
}
const RESULT: AnalysisResult = {
  domain: 'TRAVAIL',
  urgency: 'HAUTE',
  urgencyReason: 'Audience le 12/03/2027, dans 20 jours.',
  keyDates: [{ date: '2027-03-12', context: 'audience de jugement le 12/03/2027' }],
  amounts: [
    { amount: 15000, context: 'réclame 15 000 € d’indemnités' },
    { amount: 2300.5, context: '2 300,50 € de rappel de salaire' },
  ],
  summary: 'Dossier DUP-2026-001 « Licenciement Roux » pour M. Roux, relevant du droit du travail.',
  analyzer: 'test-analyzer',
}

/** Processes until a job was there (retries in backoff are not ready at once): polls, no fixed sleep. */
function nextOutcome(ai: AIPipeline, timeout = 5000): Promise<JobOutcome<unknown>> {
  return vi.waitFor(
    async () => {
      const outcome = await ai.processAIQueue()
      if (outcome.status === 'empty') throw new Error('no job ready yet')
      return outcome
    },
    { timeout, interval: 10 },
  )
}

const analysisOf = (id: string) => prisma.analysis.findUniqueOrThrow({ where: { id } })

describe('requestAnalysis', () => {
  it('creates a QUEUED Analysis row and a job whose id is the row id', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('req')
    const ai = w.pipeline()
    const before = Date.now()

    const request = await ai.requestAnalysis(tenantId, dossier.id)
    expect(request).toEqual({ jobId: expect.any(String), created: true })
    const row = await analysisOf(request.jobId)
    expect(row).toMatchObject({
      dossierId: dossier.id,
      tenantId,
      status: 'QUEUED',
      pendingFor: dossier.id,
      attempts: 0,
      error: null,
      startedAt: null,
      completedAt: null,
    })
    expect(await w.stats()).toEqual({ waiting: 1, inFlight: 0, delayed: 0, dead: 0 })

    const job = await w.queue.reserve<AIAnalysisTask>(AI_ANALYSIS_QUEUE)
    expect(job).toMatchObject({
      id: request.jobId,
      attempts: 1,
      data: { analysisId: request.jobId, dossierId: dossier.id, tenantId, priority: 'normal' },
    })
    expect(job!.data.timestamp).toBeGreaterThanOrEqual(before)
    expect(job!.data.timestamp).toBeLessThanOrEqual(Date.now())

    // Asked again while its job is in flight: the same analysis, nothing pushed.
    expect(await ai.requestAnalysis(tenantId, dossier.id)).toEqual({ jobId: request.jobId, created: false })
    expect(await w.stats()).toEqual({ waiting: 0, inFlight: 1, delayed: 0, dead: 0 })
  })

  it('a second call while pending returns the same job without queuing another', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('req2')
    const ai = w.pipeline()
    const first = await ai.requestAnalysis(tenantId, dossier.id)
    const second = await ai.requestAnalysis(tenantId, dossier.id, 'high')
    expect(second).toEqual({ jobId: first.jobId, created: false })
    expect(await w.stats()).toEqual({ waiting: 1, inFlight: 0, delayed: 0, dead: 0 })
    expect(await prisma.analysis.count({ where: { dossierId: dossier.id } })).toBe(1)
    // The job queued is the first request's (priority normal), not replaced by the second.
    expect((await w.queue.reserve<AIAnalysisTask>(AI_ANALYSIS_QUEUE))?.data.priority).toBe('normal')
  })

  it('10 concurrent calls: one analysis, one job, every caller gets its id, exactly one created', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('req10')
    const ai = w.pipeline()
    const results = await Promise.all(Array.from({ length: 10 }, () => ai.requestAnalysis(tenantId, dossier.id)))
    const ids = new Set(results.map((r) => r.jobId))
    expect(ids.size).toBe(1)
    expect(results.filter((r) => r.created)).toHaveLength(1)
    const rows = await prisma.analysis.findMany({ where: { dossierId: dossier.id } })
    expect(rows.map((r) => r.id)).toEqual([...ids])
    expect(await w.stats()).toEqual({ waiting: 1, inFlight: 0, delayed: 0, dead: 0 })
  })

  it('another cabinet’s dossier (or an unknown one) → HttpError 404; nothing written, nothing queued', async () => {
    const { tenantId, otherTenantId, foreign } = await seedCabinets()
    const w = world('req404')
    const ai = w.pipeline()
    for (const [t, d] of [
      [tenantId, foreign.id],
      [otherTenantId, 'no-such-dossier'],
    ] as const) {
      const err = await ai.requestAnalysis(t, d).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(HttpError)
      expect(err).toMatchObject({ status: 404, message: 'dossier not found' })
    }
    expect(await prisma.analysis.count({ where: { dossierId: foreign.id } })).toBe(0)
    expect(await w.stats()).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
  })

  it('queueAIAnalysis (the seed’s call) finds the dossier’s cabinet itself; an unknown dossier is a 404', async () => {
    const { otherTenantId, foreign } = await seedCabinets()
    const w = world('seedcall')
    const ai = w.pipeline()
    const jobId = await ai.queueAIAnalysis(foreign.id, 'high')
    expect(await analysisOf(jobId)).toMatchObject({ tenantId: otherTenantId, dossierId: foreign.id, status: 'QUEUED' })
    expect((await w.queue.reserve<AIAnalysisTask>(AI_ANALYSIS_QUEUE))?.data).toMatchObject({
      analysisId: jobId,
      tenantId: otherTenantId,
      priority: 'high',
    })
    await expect(ai.queueAIAnalysis('no-such-dossier')).rejects.toMatchObject({
      status: 404,
      message: 'dossier "no-such-dossier" not found',
    })
  })

  it('when the queue cannot be reached: RedisUnavailableError, and no analysis is left pending (a retry starts clean)', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('reqdown')
    const unreachable = unreachableContext('down', { REDIS_TIMEOUT_MS: '200' })
    const broken = w.pipeline({ queue: createQueue(unreachable) })
    await expect(broken.requestAnalysis(tenantId, dossier.id)).rejects.toBeInstanceOf(RedisUnavailableError)
    expect(await prisma.analysis.count({ where: { dossierId: dossier.id } })).toBe(0)

    const retried = await w.pipeline().requestAnalysis(tenantId, dossier.id)
    expect(retried.created).toBe(true)
    expect(await w.stats()).toMatchObject({ waiting: 1 })
  })
})

describe('processAIQueue (in-process)', () => {
  it('returns empty when there is nothing to do', async () => {
    expect(await world('empty').pipeline().processAIQueue()).toEqual({ status: 'empty' })
  })

  it('marks the analysis RUNNING, then DONE with the analyser’s result; scores the cabinet +3 once; refreshes the cached read', async () => {
    const { tenantId, otherTenantId, dossier } = await seedCabinets()
    const w = world('done')
    const seenWhileRunning: unknown[] = []
    let analysisId = ''
    const analyzer = fakeAnalyzer(async (input) => {
      expect(input).toMatchObject({
        id: dossier.id,
        reference: 'DUP-2026-001',
        description: DESCRIPTION,
        status: 'OPEN',
      })
      seenWhileRunning.push(await analysisOf(analysisId))
    })
    const ai = w.pipeline({ analyzer })
    analysisId = (await ai.requestAnalysis(tenantId, dossier.id)).jobId
    expect(await w.analyses.getLatestAnalysis(tenantId, dossier.id)).toMatchObject({
      cache: 'MISS',
      data: { id: analysisId, status: 'QUEUED' },
    })
    expect((await w.analyses.getLatestAnalysis(tenantId, dossier.id)).cache).toBe('HIT')

    const outcome = await ai.processAIQueue()
    expect(outcome).toMatchObject({ status: 'acked', job: { id: analysisId, attempts: 1 } })
    expect(analyzer.calls).toBe(1)
    expect(seenWhileRunning).toEqual([
      expect.objectContaining({
        status: 'RUNNING',
        attempts: 1,
        pendingFor: dossier.id,
        startedAt: expect.any(Date),
        completedAt: null,
      }),
    ])

    const row = await analysisOf(analysisId)
    expect(row).toMatchObject({
      status: 'DONE',
      attempts: 1,
      pendingFor: null,
      error: null,
      domain: 'TRAVAIL',
      urgency: 'HAUTE',
      urgencyReason: RESULT.urgencyReason,
      summary: RESULT.summary,
      analyzer: 'test-analyzer',
    })
    expect(JSON.parse(row.keyDates!)).toEqual(RESULT.keyDates)
    expect(JSON.parse(row.amounts!)).toEqual(RESULT.amounts)
    expect(row.completedAt!.getTime()).toBeGreaterThanOrEqual(row.startedAt!.getTime())

    // The worker invalidated the cabinet's cached reads: the page sees DONE at once, lists parsed.
    const read = await w.analyses.getLatestAnalysis(tenantId, dossier.id)
    expect(read).toMatchObject({
      cache: 'MISS',
      data: { id: analysisId, status: 'DONE', keyDates: RESULT.keyDates, amounts: RESULT.amounts },
    })

    expect(await w.score(tenantId)).toBe(3)
    expect(await w.score(otherTenantId)).toBeNull()
    expect((await w.leaderboard.getActiveDossiers(tenantId)).map((m) => m.member)).toEqual([dossier.id])
    expect(await w.stats()).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })

    // Finished: the dossier can be analysed again, as a new analysis.
    const again = await ai.requestAnalysis(tenantId, dossier.id)
    expect(again.created).toBe(true)
    expect(again.jobId).not.toBe(analysisId)
  })

  it('with the local analyser, stores what analyzeDossier finds in the dossier', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('local')
    const ai = w.pipeline() // default analyser: the local rules
    const { jobId } = await ai.requestAnalysis(tenantId, dossier.id)
    expect(await ai.processAIQueue()).toMatchObject({ status: 'acked' })
    const expected = analyzeDossier(dossier)
    expect(expected.amounts.map((a) => a.amount)).toEqual([15000, 2300.5])
    const row = await analysisOf(jobId)
    expect(row).toMatchObject({
      status: 'DONE',
      domain: expected.domain,
      urgency: expected.urgency,
      summary: expected.summary,
      analyzer: 'local-rules-v1',
    })
    expect(JSON.parse(row.amounts!)).toEqual(expected.amounts)
    expect(JSON.parse(row.keyDates!)).toEqual([])
  })

  it('a job delivered again after its analysis is DONE is acked without running or scoring twice', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('redeliver')
    const analyzer = fakeAnalyzer()
    const ai = w.pipeline({ analyzer })
    const { jobId } = await ai.requestAnalysis(tenantId, dossier.id)
    const first = await ai.processAIQueue()
    expect(first).toMatchObject({ status: 'acked', job: { id: jobId } })
    if (first.status !== 'acked') throw new Error('unreachable')
    const done = await analysisOf(jobId)

    // What a worker that died between the database write and its ack causes: the same job once more.
    expect(await w.queue.push(AI_ANALYSIS_QUEUE, first.job.data, { jobId })).toBe(jobId)
    expect(await w.stats()).toMatchObject({ waiting: 1 })
    expect(await ai.processAIQueue()).toMatchObject({ status: 'acked', job: { id: jobId, attempts: 1 } })

    expect(analyzer.calls).toBe(1)
    expect(await analysisOf(jobId)).toStrictEqual(done)
    expect(await w.score(tenantId)).toBe(3)
    expect(await w.stats()).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
  })

  it('a failing analyser: retried with backoff, then FAILED with the error text and the job in the dead letters', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('flaky', { maxAttempts: 3 })
    let calls = 0
    const ai = w.pipeline({
      analyzer: {
        name: 'broken',
        async analyze() {
          calls++
          throw new Error('model timeout')
        },
      },
    })
    const { jobId } = await ai.requestAnalysis(tenantId, dossier.id)

    const first = await nextOutcome(ai)
    expect(first).toMatchObject({ status: 'retry', job: { id: jobId, attempts: 1 } })
    // Between attempts: back to QUEUED, still pending, with the reason.
    expect(await analysisOf(jobId)).toMatchObject({
      status: 'QUEUED',
      attempts: 1,
      error: 'model timeout',
      pendingFor: dossier.id,
      completedAt: null,
    })
    const between = await w.stats()
    expect(between).toMatchObject({ inFlight: 0, dead: 0 })
    expect(between.waiting + between.delayed).toBe(1) // in backoff (or already due)
    // While it is pending, asking again gives the same analysis.
    expect(await ai.requestAnalysis(tenantId, dossier.id)).toEqual({ jobId, created: false })

    const second = await nextOutcome(ai)
    expect(second).toMatchObject({ status: 'retry', job: { attempts: 2, lastError: 'Error: model timeout' } })
    const third = await nextOutcome(ai)
    expect(third).toMatchObject({ status: 'dead', job: { id: jobId, attempts: 3 } })
    expect(calls).toBe(3)

    const row = await analysisOf(jobId)
    expect(row).toMatchObject({
      status: 'FAILED',
      attempts: 3,
      error: 'model timeout',
      pendingFor: null,
      domain: null,
      summary: null,
    })
    expect(row.completedAt).toBeInstanceOf(Date)
    expect(await w.queue.deadLetters(AI_ANALYSIS_QUEUE)).toEqual([
      expect.objectContaining({
        id: jobId,
        attempts: 3,
        error: 'Error: model timeout',
        data: expect.objectContaining({ analysisId: jobId, dossierId: dossier.id, tenantId }),
      }),
    ])
    expect(await w.stats()).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 1 })
    expect(await w.score(tenantId)).toBeNull()
    // The worker already recorded it: reconciling changes nothing.
    expect(await ai.reconcileDeadLetters()).toBe(0)
    // A new request starts a new analysis.
    expect((await ai.requestAnalysis(tenantId, dossier.id)).created).toBe(true)
  })

  it('succeeds on a retry: DONE at attempt 2, the earlier error cleared, scored once', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('retryok')
    let calls = 0
    const ai = w.pipeline({
      analyzer: {
        name: 'flaky',
        async analyze() {
          if (++calls === 1) throw new Error('transient')
          return RESULT
        },
      },
    })
    const { jobId } = await ai.requestAnalysis(tenantId, dossier.id, 'high')
    expect(await nextOutcome(ai)).toMatchObject({ status: 'retry' })
    expect(await nextOutcome(ai)).toMatchObject({
      status: 'acked',
      job: { id: jobId, attempts: 2, data: { priority: 'high' } },
    })
    expect(await analysisOf(jobId)).toMatchObject({ status: 'DONE', attempts: 2, error: null, domain: 'TRAVAIL' })
    expect(await w.score(tenantId)).toBe(3)
  })

  it('a PermanentJobError from the analyser: dead at once, analysis FAILED with its message', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('permanent')
    const ai = w.pipeline({
      analyzer: {
        name: 'refuses',
        async analyze() {
          throw new PermanentJobError('dossier too large to analyse')
        },
      },
    })
    const { jobId } = await ai.requestAnalysis(tenantId, dossier.id)
    expect(await ai.processAIQueue()).toMatchObject({ status: 'dead', job: { id: jobId, attempts: 1 } })
    expect(await analysisOf(jobId)).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      error: 'dossier too large to analyse',
      pendingFor: null,
    })
    expect(await w.queue.deadLetters(AI_ANALYSIS_QUEUE)).toMatchObject([
      { id: jobId, attempts: 1, error: 'PermanentJobError: dossier too large to analyse' },
    ])
  })

  it('a malformed payload goes straight to the dead letters, naming the bad field', async () => {
    const w = world('malformed')
    const ai = w.pipeline({ analyzer: fakeAnalyzer() })
    const id = await w.queue.push(AI_ANALYSIS_QUEUE, { dossier: 42 })
    expect(await ai.processAIQueue()).toMatchObject({ status: 'dead', job: { id, attempts: 1 } })
    const [dead] = await w.queue.deadLetters(AI_ANALYSIS_QUEUE, 1)
    expect(dead).toMatchObject({ id, attempts: 1, data: { dossier: 42 } })
    expect(dead!.error).toMatch(
      /^PermanentJobError: ai-analysis-queue job: data\.analysisId: expected a string \(got undefined\); /,
    )
    expect(dead!.error).toContain('; ai-analysis-queue job: data.dossierId: expected a string (got undefined); ')
    // Not an analysis: nothing to reconcile.
    expect(await ai.reconcileDeadLetters()).toBe(0)
  })

  it('a job whose dossier was deleted meanwhile is acked with nothing done', async () => {
    const { tenantId, second } = await seedCabinets()
    const w = world('deleted')
    const analyzer = fakeAnalyzer()
    const ai = w.pipeline({ analyzer })
    const { jobId } = await ai.requestAnalysis(tenantId, second.id)
    expect(await w.dossiers.deleteDossier(tenantId, second.id)).toEqual({ data: true, invalidated: true })
    expect(await ai.processAIQueue()).toMatchObject({ status: 'acked', job: { id: jobId } })
    expect(analyzer.calls).toBe(0)
    expect(await prisma.analysis.count({ where: { id: jobId } })).toBe(0)
    expect(await w.score(tenantId)).toBeNull()
  })
})

describe('reconcileDeadLetters', () => {
  it('marks FAILED an analysis whose job died by lease expiry (never acked), once', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('reconcile', { maxAttempts: 3 })
    const ai = w.pipeline({ analyzer: fakeAnalyzer() })
    const { jobId } = await ai.requestAnalysis(tenantId, dossier.id)

    // A worker that takes the job and dies, three times: each lease expires and is reclaimed, the last one to the dead letters.
    const leases: number[] = []
    await vi.waitFor(
      async () => {
        const job = await w.queue.reserve(AI_ANALYSIS_QUEUE, { visibilityTimeoutMs: 30 })
        if (job) leases.push(job.attempts)
        expect(await w.stats()).toMatchObject({ dead: 1 })
      },
      { timeout: 5000, interval: 10 },
    )
    expect(leases).toEqual([1, 2, 3])
    expect(await w.queue.deadLetters(AI_ANALYSIS_QUEUE)).toMatchObject([
      { id: jobId, attempts: 3, error: 'lease expired after attempt 3 (the worker did not ack in time)' },
    ])
    // Nobody recorded it: the analysis is still pending.
    expect(await analysisOf(jobId)).toMatchObject({ status: 'QUEUED', pendingFor: dossier.id })

    expect(await ai.reconcileDeadLetters()).toBe(1)
    const row = await analysisOf(jobId)
    expect(row).toMatchObject({
      status: 'FAILED',
      error: 'lease expired after attempt 3 (the worker did not ack in time)',
      pendingFor: null,
    })
    expect(row.completedAt).toBeInstanceOf(Date)
    expect(await ai.reconcileDeadLetters()).toBe(0)
    expect(await w.score(tenantId)).toBeNull()
    expect((await ai.requestAnalysis(tenantId, dossier.id)).created).toBe(true)
  })

  it('reconcile (the cron route and the worker, hourly): leaves recent analyses alone, fails dead ones, queues again one lost with Redis', async () => {
    // reconcile looks at every pending analysis in the database: end the ones earlier tests left pending.
    await prisma.analysis.updateMany({
      where: { pendingFor: { not: null } },
      data: { pendingFor: null, status: 'FAILED' },
    })
    const { tenantId, dossier, second } = await seedCabinets()
    const w = world('reconcile2', { maxAttempts: 1 })
    const ai = w.pipeline({ analyzer: fakeAnalyzer() })
    const dead = await ai.requestAnalysis(tenantId, dossier.id)
    // Its only lease expires: the next reserve sends it to the dead letters, nobody records it.
    await w.queue.reserve(AI_ANALYSIS_QUEUE, { visibilityTimeoutMs: 30 })
    await vi.waitFor(async () => {
      await w.queue.reserve(AI_ANALYSIS_QUEUE)
      expect(await w.stats()).toMatchObject({ dead: 1 })
    })
    // The other one's job is lost, as when Redis restarts empty: only the database remembers it.
    const lost = await ai.requestAnalysis(tenantId, second.id)
    await w.queue.ack(AI_ANALYSIS_QUEUE, { id: lost.jobId, leaseToken: '0' })
    expect(await w.stats()).toMatchObject({ waiting: 0, inFlight: 0, delayed: 0 })

    // Pending for less than staleAfterMs: not looked at.
    expect(await ai.reconcile({ staleAfterMs: 60_000 })).toEqual({ stale: 0, failed: 0, repushed: 0 })
    expect(await ai.reconcile({ staleAfterMs: 0 })).toEqual({ stale: 2, failed: 1, repushed: 1 })
    expect(await analysisOf(dead.jobId)).toMatchObject({ status: 'FAILED', pendingFor: null })
    expect(await ai.processAIQueue()).toMatchObject({ status: 'acked', job: { id: lost.jobId } })
    expect(await analysisOf(lost.jobId)).toMatchObject({ status: 'DONE' })
    expect(await ai.reconcile({ staleAfterMs: 0 })).toEqual({ stale: 0, failed: 0, repushed: 0 })
  })

  it('an idle worker (polling Redis once a minute) starts a new analysis within a few seconds: the database wakes it', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('wake')
    const ai = w.pipeline({ analyzer: fakeAnalyzer() })
    const controller = new AbortController()
    let reserves = 0
    const running = ai.runAIWorker({
      signal: controller.signal,
      minIdleMs: 60_000,
      maxIdleMs: 60_000,
      wakeHintEveryMs: 200,
      onOutcome: () => reserves++,
    })
    try {
      await vi.waitFor(() => expect(reserves).toBe(1)) // its first, empty reserve: now idle for 60 s
      const { jobId } = await ai.requestAnalysis(tenantId, dossier.id)
      const started = performance.now()
      await vi.waitFor(async () => expect((await analysisOf(jobId)).status).toBe('DONE'), {
        timeout: 5_000,
        interval: 50,
      })
      expect(performance.now() - started).toBeLessThan(3_000)
    } finally {
      controller.abort()
      await running
    }
  })

  it('a client retrying while the pending analysis is already dead gets a fresh analysis, not the dead job', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('retrydead', { maxAttempts: 1 })
    const ai = w.pipeline({ analyzer: fakeAnalyzer() })
    const { jobId } = await ai.requestAnalysis(tenantId, dossier.id)
    await vi.waitFor(
      async () => {
        await w.queue.reserve(AI_ANALYSIS_QUEUE, { visibilityTimeoutMs: 30 })
        expect(await w.stats()).toMatchObject({ dead: 1 })
      },
      { timeout: 5000, interval: 10 },
    )
    const again = await ai.requestAnalysis(tenantId, dossier.id)
    expect(again).toMatchObject({ created: true })
    expect(again.jobId).not.toBe(jobId)
    expect(await analysisOf(jobId)).toMatchObject({ status: 'FAILED', pendingFor: null })
    expect(await w.stats()).toMatchObject({ waiting: 1 })
  })
})

/** scripts/worker.ts with short idle polls, killed after the file if still running. */
function startWorker(env: Record<string, string>, args: string[]) {
  const worker = startWorkerProcess(env, ['--min-idle-ms', '20', '--max-idle-ms', '50', ...args])
  children.push(worker.child)
  return worker
}

describe('scripts/worker.ts (real child processes)', { timeout: 60_000 }, () => {
  it('a worker killed with SIGKILL mid-job has its job redelivered: a second worker completes it, attempt 2, scored once', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('kill')
    const { jobId } = await w.pipeline().requestAnalysis(tenantId, dossier.id)
    expect((await w.analyses.getLatestAnalysis(tenantId, dossier.id)).data?.status).toBe('QUEUED') // cached

    const doomed = startWorker(w.env, ['--visibility-ms', '800', '--analysis-delay-ms', '60000'])
    const reserved = await doomed.next((e) => e.event === 'reserved')
    expect(reserved).toMatchObject({ id: jobId, attempt: 1, leaseExpiresAt: expect.any(Number) })
    // It marked the analysis RUNNING before starting the (long) analysis.
    await vi.waitFor(async () => expect(await analysisOf(jobId)).toMatchObject({ status: 'RUNNING', attempts: 1 }), {
      timeout: 10_000,
      interval: 20,
    })
    doomed.child.kill('SIGKILL')
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(await w.stats()).toEqual({ waiting: 0, inFlight: 1, delayed: 0, dead: 0 })
    expect(await w.score(tenantId)).toBeNull()

    const rescuer = startWorker(w.env, ['--visibility-ms', '5000'])
    const acked = await rescuer.next((e) => e.event === 'acked')
    expect(acked).toMatchObject({ id: jobId, attempt: 2 })
    expect(rescuer.events.filter((e) => e.event === 'reserved')).toMatchObject([{ id: jobId, attempt: 2 }])

    const expected = analyzeDossier(dossier)
    const row = await analysisOf(jobId)
    expect(row).toMatchObject({
      status: 'DONE',
      attempts: 2,
      pendingFor: null,
      error: null,
      domain: expected.domain,
      urgency: expected.urgency,
      summary: expected.summary,
      analyzer: 'local-rules-v1',
    })
    expect(JSON.parse(row.amounts!)).toEqual(expected.amounts)
    expect(await w.score(tenantId)).toBe(3)
    expect(await w.stats()).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
    // The child worker invalidated the cabinet's cached reads (same key prefix).
    expect(await w.analyses.getLatestAnalysis(tenantId, dossier.id)).toMatchObject({
      cache: 'MISS',
      data: { id: jobId, status: 'DONE', attempts: 2 },
    })

    rescuer.child.kill('SIGTERM')
    expect(await rescuer.exited).toEqual({ code: 0, signal: null })
    expect(rescuer.events.filter((e) => e.event === 'acked')).toHaveLength(1)
    expect(await w.score(tenantId)).toBe(3)
  })

  it('SIGTERM lets the current job finish and be acked, then the worker exits 0', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('term')
    const { jobId } = await w.pipeline().requestAnalysis(tenantId, dossier.id)
    const worker = startWorker(w.env, ['--visibility-ms', '5000', '--analysis-delay-ms', '700'])
    await worker.next((e) => e.event === 'reserved' && e.id === jobId)
    worker.child.kill('SIGTERM')
    expect(await worker.exited).toEqual({ code: 0, signal: null })
    expect(worker.events.map((e) => e.event)).toEqual(['started', 'reserved', 'stopping', 'acked', 'stopped'])
    expect(worker.events[3]).toMatchObject({ id: jobId, attempt: 1 })
    expect(await analysisOf(jobId)).toMatchObject({ status: 'DONE', attempts: 1, pendingFor: null })
    expect(await w.stats()).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
    expect(await w.score(tenantId)).toBe(3)
  })

  it('a job that outlasts --grace-ms is left leased (exit 1) and delivered again later', async () => {
    const { tenantId, dossier } = await seedCabinets()
    const w = world('grace')
    const { jobId } = await w.pipeline().requestAnalysis(tenantId, dossier.id)
    const worker = startWorker(w.env, ['--visibility-ms', '600', '--analysis-delay-ms', '60000', '--grace-ms', '100'])
    await worker.next((e) => e.event === 'reserved' && e.id === jobId)
    await vi.waitFor(async () => expect(await analysisOf(jobId)).toMatchObject({ status: 'RUNNING' }), {
      timeout: 10_000,
      interval: 20,
    })
    worker.child.kill('SIGTERM')
    expect(await worker.exited).toEqual({ code: 1, signal: null })
    expect(worker.events.map((e) => e.event)).toEqual(['started', 'reserved', 'stopping', 'grace-expired'])
    expect(await analysisOf(jobId)).toMatchObject({ status: 'RUNNING', attempts: 1 })
    expect(await w.stats()).toMatchObject({ inFlight: 1 })

    // In-process this time, on the same queue: once the lease runs out, the job is here again.
    const outcome = await nextOutcome(w.pipeline(), 10_000)
    expect(outcome).toMatchObject({
      status: 'acked',
      job: { id: jobId, attempts: 2, lastError: 'lease expired after attempt 1 (the worker did not ack in time)' },
    })
    expect(await analysisOf(jobId)).toMatchObject({ status: 'DONE', attempts: 2 })
    expect(await w.score(tenantId)).toBe(3)
  })

  it('refuses to start with REDIS_ENABLED=false, saying why', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/worker.ts'], {
      cwd: root,
      env: { ...process.env, ...world('off').env, REDIS_ENABLED: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let stderr = ''
    let stdout = ''
    child.stderr.on('data', (d) => (stderr += String(d)))
    child.stdout.on('data', (d) => (stdout += String(d)))
    const code = await new Promise((resolve) => child.on('exit', resolve))
    expect(code).toBe(1)
    expect(stderr).toMatch(/REDIS_ENABLED=false: the worker needs Redis/)
    expect(stdout).not.toMatch(/"event":"started"/)
  })
})
