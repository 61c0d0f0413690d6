/**
 * The AI analysis worker: scripts/worker.ts runs as a real child process (killed with SIGKILL,
 * stopped with SIGTERM), and processAIQueue's retry / dead-letter paths run in-process.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createContext } from '@/lib/redis/context'
import { createHashMap } from '@/lib/redis/hash-map'
import { createQueue } from '@/lib/redis/queue'
import { uniquePrefix } from '../support/stack'

const stack = inject('stack')
// The seed-style exports (queueAIAnalysis, getAnalysis…) use the process-wide context, read from
// process.env on first use: give this file its own key prefix before anything touches it.
const prefix = uniquePrefix('worker')
Object.assign(process.env, stack, { REDIS_KEY_PREFIX: prefix, REDIS_ENABLED: 'true', UPSTASH_DISABLE_TELEMETRY: 'true' })
const { AI_ANALYSIS_QUEUE, createAIQueue, getAnalysis, queueAIAnalysis } = await import('@/lib/ai-queue')
const { queue } = await import('@/lib/upstash')

const root = path.resolve(import.meta.dirname, '../..')
const children: ChildProcess[] = []
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

interface WorkerEvent {
  event: string
  id?: string
  attempt?: number
  error?: string
}

/** Starts scripts/worker.ts as its own node process (no tsx wrapper process, so signals reach the worker itself). */
function startWorker(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/worker.ts', '--min-idle-ms', '20', '--max-idle-ms', '50', ...args], {
    cwd: root,
    env: { ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  const events: WorkerEvent[] = []
  const waiters: { test: (e: WorkerEvent) => boolean; resolve: (e: WorkerEvent) => void }[] = []
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += String(d)))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let e: WorkerEvent
    try {
      e = JSON.parse(line) as WorkerEvent
    } catch {
      return
    }
    events.push(e)
    for (const w of [...waiters]) if (w.test(e)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(e))
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return {
    child,
    events,
    exited,
    /** Resolves with the first event (past or future) matching `test`; fails after `timeoutMs`. */
    waitFor(test: (e: WorkerEvent) => boolean, timeoutMs = 15_000): Promise<WorkerEvent> {
      const past = events.find(test)
      if (past) return Promise.resolve(past)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker event not seen in ${timeoutMs} ms; events ${JSON.stringify(events)}; stderr ${stderr}`)), timeoutMs)
        waiters.push({ test, resolve: (e) => (clearTimeout(timer), resolve(e)) })
      })
    },
  }
}

describe('scripts/worker.ts (real child processes)', () => {
  it('a worker killed with SIGKILL mid-job has its job redelivered to the next worker after the visibility timeout', async () => {
    const jobId = await queueAIAnalysis('dossier-kill') // the seed's call, on the app's queue

    const doomed = startWorker(['--visibility-ms', '800', '--analysis-delay-ms', '60000'])
    const reserved = await doomed.waitFor((e) => e.event === 'reserved')
    expect(reserved).toMatchObject({ id: jobId, attempt: 1 })
    doomed.child.kill('SIGKILL')
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(await queue.stats(AI_ANALYSIS_QUEUE)).toMatchObject({ inFlight: 1, waiting: 0 })
    expect(await getAnalysis('dossier-kill')).toBeNull()

    const rescuer = startWorker(['--visibility-ms', '5000'])
    const acked = await rescuer.waitFor((e) => e.event === 'acked')
    expect(acked).toMatchObject({ id: jobId, attempt: 2 })
    expect(await getAnalysis('dossier-kill')).toMatchObject({ dossierId: 'dossier-kill', status: 'done', jobId, attempts: 2 })
    expect(await queue.stats(AI_ANALYSIS_QUEUE)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })

    rescuer.child.kill('SIGTERM')
    expect(await rescuer.exited).toEqual({ code: 0, signal: null })
    expect(rescuer.events.filter((e) => e.event === 'acked')).toHaveLength(1)
  })

  it('SIGTERM lets the current job finish and be acked, then the worker exits 0', async () => {
    const jobId = await queueAIAnalysis('dossier-term')
    const worker = startWorker(['--visibility-ms', '5000', '--analysis-delay-ms', '700'])
    await worker.waitFor((e) => e.event === 'reserved' && e.id === jobId)
    worker.child.kill('SIGTERM')
    expect(await worker.exited).toEqual({ code: 0, signal: null })
    expect(worker.events.map((e) => e.event)).toEqual(['started', 'reserved', 'stopping', 'acked', 'stopped'])
    expect(await getAnalysis('dossier-term')).toMatchObject({ status: 'done', jobId, attempts: 1 })
    expect(await queue.stats(AI_ANALYSIS_QUEUE)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
  })

  it('a job that outlasts --grace-ms is left leased (exit 1) and delivered again later', async () => {
    const jobId = await queueAIAnalysis('dossier-grace')
    const worker = startWorker(['--visibility-ms', '600', '--analysis-delay-ms', '60000', '--grace-ms', '100'])
    await worker.waitFor((e) => e.event === 'reserved' && e.id === jobId)
    worker.child.kill('SIGTERM')
    expect(await worker.exited).toEqual({ code: 1, signal: null })
    expect(worker.events.map((e) => e.event)).toEqual(['started', 'reserved', 'stopping', 'grace-expired'])

    const ai = createAIQueue() // in-process this time, on the same queue
    let outcome = await ai.processAIQueue()
    for (let i = 0; outcome.status === 'empty' && i < 300; i++) {
      await new Promise((r) => setTimeout(r, 10)) // poll until the lease runs out
      outcome = await ai.processAIQueue()
    }
    expect(outcome).toMatchObject({ status: 'acked', job: { id: jobId, attempts: 2 } })
  })

  it('refuses to start with REDIS_ENABLED=false, saying why', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/worker.ts'], {
      cwd: root,
      env: { ...process.env, REDIS_ENABLED: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += String(d)))
    const code = await new Promise((resolve) => child.on('exit', resolve))
    expect(code).toBe(1)
    expect(stderr).toMatch(/REDIS_ENABLED=false: the worker needs Redis/)
  })
})

describe('processAIQueue (in-process)', () => {
  const ctx = createContext({ ...stack, REDIS_KEY_PREFIX: uniquePrefix('aiq'), UPSTASH_DISABLE_TELEMETRY: 'true' })
  const q = createQueue(ctx, { backoffMs: 20, maxAttempts: 3 })
  const hashMap = createHashMap(ctx)

  it('returns empty when there is nothing to do', async () => {
    const ai = createAIQueue({ queue: q, hashMap })
    expect(await ai.processAIQueue()).toEqual({ status: 'empty' })
  })

  it('a failing analysis is retried with backoff, then dead-lettered with its error', async () => {
    let calls = 0
    const ai = createAIQueue({
      queue: q,
      hashMap,
      analyze: async () => {
        calls++
        throw new Error('model timeout')
      },
    })
    const id = await ai.queueAIAnalysis('dossier-flaky')
    const statuses: string[] = []
    while (statuses.at(-1) !== 'dead') {
      const outcome = await ai.processAIQueue()
      if (outcome.status === 'empty') {
        await new Promise((r) => setTimeout(r, 10)) // poll while the retry is in backoff
        continue
      }
      statuses.push(outcome.status)
    }
    expect(statuses).toEqual(['retry', 'retry', 'dead'])
    expect(calls).toBe(3)
    expect(await q.deadLetters(AI_ANALYSIS_QUEUE)).toMatchObject([{ id, attempts: 3, error: 'Error: model timeout', data: { dossierId: 'dossier-flaky', priority: 'normal' } }])
    expect(await ai.getAnalysis('dossier-flaky')).toBeNull()
  })

  it('succeeds on a retry and records the result once', async () => {
    let calls = 0
    const ai = createAIQueue({
      queue: q,
      hashMap,
      analyze: async (task) => {
        if (++calls === 1) throw new Error('transient')
        return { summary: `ok ${task.dossierId}` }
      },
    })
    const id = await ai.queueAIAnalysis('dossier-retry', 'high')
    expect(await ai.processAIQueue()).toMatchObject({ status: 'retry' })
    let outcome = await ai.processAIQueue()
    for (let i = 0; outcome.status === 'empty' && i < 300; i++) {
      await new Promise((r) => setTimeout(r, 10))
      outcome = await ai.processAIQueue()
    }
    expect(outcome).toMatchObject({ status: 'acked', job: { id, attempts: 2, data: { priority: 'high' } } })
    expect(await ai.getAnalysis('dossier-retry')).toMatchObject({ status: 'done', summary: 'ok dossier-retry', attempts: 2, jobId: id })
  })

  it('a malformed task goes straight to the dead letters', async () => {
    const ai = createAIQueue({ queue: q, hashMap })
    await q.push(AI_ANALYSIS_QUEUE, { dossier: 42 })
    expect(await ai.processAIQueue()).toMatchObject({ status: 'dead' })
    const [dead] = await q.deadLetters(AI_ANALYSIS_QUEUE, 1)
    expect(dead).toMatchObject({ attempts: 1, data: { dossier: 42 }, error: expect.stringMatching(/PermanentJobError: not an AI analysis task: dossierId/) })
  })

  it('validates the dossier id before queuing', async () => {
    const ai = createAIQueue({ queue: q, hashMap })
    await expect(ai.queueAIAnalysis('')).rejects.toThrow(/queueAIAnalysis: dossierId: must not be empty/)
    const before = await q.stats(AI_ANALYSIS_QUEUE)
    await expect(ai.queueAIAnalysis('dossier-1', 'urgent' as never)).rejects.toThrow(/queueAIAnalysis: priority: expected "normal" or "high"/)
    expect(await q.stats(AI_ANALYSIS_QUEUE)).toEqual(before)
  })
})
