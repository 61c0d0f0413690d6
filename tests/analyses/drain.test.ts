/**
 * Draining without a worker (src/lib/services/analysis-drain.ts): what after() and the cron route run. Its
 * cost per analysis against the worker's, counted on the server; its time budget; one drain per
 * instance however many requests ask.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AIPipeline } from '@/lib/analyses/pipeline'
import { drainAnalyses, drainShared } from '@/lib/services/analysis-drain'
import type { Analyzer } from '@/lib/analyses/analyzer'
import { createLocalAnalyzer } from '@/lib/analyses/analyzer'
import { createPrismaClient } from '@/lib/core/prisma'
import type { Queue } from '@/lib/upstash'
import { tempDatabase } from '../../testing/database'
import { billedCommands } from '../../testing/redis-direct'
import { startStack, type Stack } from '../../testing/stack'
import { pipelineOn } from '../support/pipeline'
import { stackContext } from '../support/redis'

const db = tempDatabase('drain')
const prisma = createPrismaClient(db.url)
let stack: Stack
let tenantId: string

beforeAll(async () => {
  stack = await startStack()
  tenantId = (await prisma.tenant.create({ data: { name: 'Cabinet Test', referencePrefix: 'TST' } })).id
})
afterAll(async () => {
  await stack?.stop()
  await prisma.$disconnect()
  db.remove()
})

let n = 0
async function newDossier(): Promise<string> {
  n++
  const d = await prisma.dossier.create({
    data: {
      tenantId,
      reference: `TST-2026-${String(n).padStart(3, '0')}`,
      title: `Dossier ${n}`,
      clientName: 'Mme Test',
      description: 'Bail commercial : loyer impayé de 4 200 €.',
    },
  })
  return d.id
}

/** The app's pipeline on a prefix of its own on the private stack (every command it sends is counted). */
function pipeline(analyzer: Analyzer = createLocalAnalyzer()): { pipeline: AIPipeline; queue: Queue } {
  return pipelineOn(prisma, stackContext(stack.env, 'drain'), { analyzer })
}

describe('drainAnalyses', () => {
  it('costs per analysis what the worker costs, plus the one empty reserve that ends the run (the worker pays it at its next poll)', async () => {
    const viaDrain = pipeline()
    // Redis learns the queue's scripts on their first use (one EVAL): not part of an analysis's cost.
    await viaDrain.pipeline.requestAnalysis(tenantId, await newDossier())
    await drainAnalyses({ budgetMs: 10_000, pipeline: viaDrain.pipeline })
    await viaDrain.pipeline.requestAnalysis(tenantId, await newDossier())
    const drained = await billedCommands(stack.env.REDIS_URL, async () => {
      expect(await drainAnalyses({ budgetMs: 10_000, pipeline: viaDrain.pipeline })).toMatchObject({
        processed: 1,
        done: 1,
        stoppedBy: 'empty',
      })
    })

    const viaWorker = pipeline()
    await viaWorker.pipeline.requestAnalysis(tenantId, await newDossier())
    const worked = await billedCommands(stack.env.REDIS_URL, async () => {
      const stop = new AbortController()
      // Stopped right after its job: the poll that would find the queue empty is not counted here.
      await viaWorker.pipeline.runAIWorker({
        signal: stop.signal,
        onOutcome: (o) => o.status === 'acked' && stop.abort(),
      })
    })
    expect(
      drained.total,
      `drain ${JSON.stringify(drained.byCommand)} / worker ${JSON.stringify(worked.byCommand)}`,
    ).toBe(worked.total + 1)
    // An idle drain: one command.
    expect(
      (
        await billedCommands(stack.env.REDIS_URL, () =>
          drainAnalyses({ budgetMs: 10_000, pipeline: viaDrain.pipeline }),
        )
      ).total,
    ).toBe(1)
  })

  it('starts no job once its time budget is spent, and leaves the rest queued for the next run', async () => {
    let started = 0
    const slow: Analyzer = {
      name: 'slow',
      async analyze(d) {
        started++
        await new Promise((r) => setTimeout(r, 150)) // stands in for a model call
        return createLocalAnalyzer().analyze(d)
      },
    }
    const { pipeline: p } = pipeline(slow)
    for (let i = 0; i < 5; i++) await p.requestAnalysis(tenantId, await newDossier())
    const first = await drainAnalyses({ budgetMs: 200, pipeline: p })
    expect(first.stoppedBy).toBe('budget')
    expect(first.processed).toBeGreaterThanOrEqual(1)
    expect(first.processed).toBeLessThan(5)
    expect(started).toBe(first.processed)
    const rest = await drainAnalyses({ budgetMs: 10_000, pipeline: p })
    expect(first.processed + rest.processed).toBe(5)
    expect(rest.stoppedBy).toBe('empty')
  })

  it('runs one drain per instance however many requests ask, and none of them misses a job', async () => {
    const { pipeline: p } = pipeline()
    const ids = []
    for (let i = 0; i < 3; i++) ids.push((await p.requestAnalysis(tenantId, await newDossier())).jobId)
    const calls = await billedCommands(stack.env.REDIS_URL, async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => drainShared({ budgetMs: 10_000, pipeline: p })),
      )
      expect(new Set(results).size).toBe(1) // all ten joined one drain
    })
    expect(await prisma.analysis.count({ where: { id: { in: ids }, status: 'DONE' } })).toBe(3)
    // 10 separate drains would end on 10 empty reserves; the joined one ends on 2 at most (its extra look for the joiners).
    expect(calls.byCommand['zrange'] ?? 0).toBeLessThanOrEqual(3 + 2)
  })
})
