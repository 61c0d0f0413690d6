/**
 * The worker (`npm run worker`): two loops in one process, each at least once (reserve → handle → ack;
 * failures retried with backoff, then dead-lettered):
 * - 'ai-analysis-queue': mark RUNNING → analyse → store the result (DONE) and propose its future dates as
 *   deadlines → score (after the last attempt the analysis is marked FAILED);
 * - 'email-queue': deadline reminders (delayed jobs, sent when due), invitations and password resets, over
 *   SMTP_URL (an SMTP error retries, a refused address is dead-lettered at once).
 * Redis, database and e-mail settings come from the environment (.env, .env.local…), like the app; in
 * production it refuses to start half-configured (src/lib/startup-check.ts: Redis, DATABASE_URL,
 * SESSION_SECRET, SMTP_URL, MAIL_FROM, APP_ORIGIN). Every hour (and at start) it also reconciles:
 * analyses pending for over 10 minutes (dead letters → FAILED, a job lost with Redis's data pushed again)
 * and deadlines whose reminders are not all queued yet (a push that failed, an offset that came within the
 * queue's 365-day reach) — both database queries (free) while nothing is stuck.
 * Cost when idle: one empty reserve (1 billed command) per --max-idle-ms for analyses and per 5 × --max-idle-ms
 * for e-mail (60 s: 1 440 + 288 ≈ 1 730 a day) plus the hourly reconciliation (free while nothing is stuck);
 * reminders waiting for their time cost nothing. The analysis loop asks the database (free) every second
 * whether an analysis was requested, so a new one starts within about a second; a reminder is sent within
 * 5 × --max-idle-ms of being due (invitations and resets are sent by the request's after(), at once).
 *   npx tsx scripts/worker.ts [--min-idle-ms 250] [--max-idle-ms 60000] [--visibility-ms 300000]
 *                             [--grace-ms 30000] [--analysis-delay-ms 0]
 * SIGTERM/SIGINT: stop taking jobs, finish the current ones (ack or fail), close the SMTP connections,
 * exit 0. If it takes longer than --grace-ms, exit 1 without acking: the leases expire and the jobs are
 * delivered again.
 * Logs one JSON object per line on stdout (e-mail events carry `queue: "email-queue"`).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { loadEnvConfig } from '@next/env'
import { z } from 'zod'
import { useLocalEndpointFileIfUnset } from './local-endpoint-file'

/** The e-mail loop's longest idle wait, as a multiple of --max-idle-ms. */
const MAIL_IDLE_FACTOR = 5

const usage =
  'usage: npx tsx scripts/worker.ts [--min-idle-ms 250] [--max-idle-ms 60000] [--visibility-ms 300000] [--grace-ms 30000] [--analysis-delay-ms 0]'

const number = (flag: string, min: number) =>
  z
    .string()
    .regex(/^\d+$/, `${flag} expects a whole number of milliseconds`)
    .transform(Number)
    .refine((n) => n >= min, `${flag} must be at least ${min}`)
    .optional()

const flagsSchema = z.object({
  'min-idle-ms': number('--min-idle-ms', 10),
  'max-idle-ms': number('--max-idle-ms', 10),
  'visibility-ms': number('--visibility-ms', 100),
  'grace-ms': number('--grace-ms', 0),
  /** Extra latency per analysis (stands in for a model call; tests use it to kill a worker mid-job). */
  'analysis-delay-ms': number('--analysis-delay-ms', 0),
  help: z.boolean().optional(),
})

const log = (event: string, fields: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ t: new Date().toISOString(), event, ...fields }))

async function main(): Promise<number> {
  let flags
  try {
    const { values } = parseArgs({
      options: Object.fromEntries(
        Object.keys(flagsSchema.shape).map((k) => [k, { type: k === 'help' ? 'boolean' : 'string' }]),
      ) as never,
      strict: true,
    })
    flags = flagsSchema.parse(values)
  } catch (err) {
    const message = err instanceof z.ZodError ? err.issues.map((i) => i.message).join('; ') : (err as Error).message
    console.error(`${message}\n${usage}`)
    return 2
  }
  if (flags.help) {
    console.log(usage)
    return 0
  }

  loadEnvConfig(process.cwd(), process.env.NODE_ENV !== 'production', { info: () => {}, error: console.error })
  // No Redis configured: the local endpoint of a running `npm run dev`, if any.
  const fromDev = useLocalEndpointFileIfUnset()
  if (fromDev) log('local-endpoint', { url: fromDev, from: '.data/local-endpoint.env' })
  // Imported after the env is loaded: the Redis layer reads process.env on first use.
  const { getConfig } = await import('../src/lib/upstash')
  const { createAppPipeline } = await import('../src/lib/services/analyses')
  const { AI_ANALYSIS_QUEUE } = await import('../src/lib/analyses/job')
  const { createLocalAnalyzer } = await import('../src/lib/analyses/analyzer')
  const { runEmailWorker } = await import('../src/lib/mail/drain')
  const { EMAIL_QUEUE } = await import('../src/lib/mail/jobs')
  const { closeMailer } = await import('../src/lib/mail/transport')
  const { createReminders } = await import('../src/lib/mail/reminders')
  const { prisma } = await import('../src/lib/core/prisma')
  if ((await import('../src/lib/startup-check')).refusalToStart('worker')) return 1
  try {
    if (!getConfig().enabled) {
      console.error(
        'REDIS_ENABLED=false: the worker needs Redis (set REDIS_ENABLED=true and UPSTASH_REDIS_REST_URL / _TOKEN)',
      )
      return 1
    }
  } catch (err) {
    console.error((err as Error).message)
    return 1
  }

  // Counts this process's billed Upstash commands for /status (one HINCRBY a minute at most, none when idle).
  // It serves no request, so only its timer flushes, whatever UPSTASH_USAGE_FLUSH_TIMER says.
  const usageMeter = await (
    await import('../src/lib/usage/upstash-usage')
  ).startUsageCounter(process.env, { timer: true })

  const local = createLocalAnalyzer()
  const delayMs = flags['analysis-delay-ms'] ?? 0
  const analyzer =
    delayMs > 0
      ? {
          name: local.name,
          analyze: async (...args: Parameters<typeof local.analyze>) => (await sleep(delayMs), local.analyze(...args)),
        }
      : local
  const ai = createAppPipeline({ analyzer, visibilityTimeoutMs: flags['visibility-ms'] })
  const controller = new AbortController()
  const reminders = createReminders({ prisma })
  // As the cron route does: free unless an analysis has been pending for 10 minutes (then dead letters →
  // FAILED, lost jobs pushed again) or a deadline's reminders are not all queued (2 billed commands a push).
  const reconcile = () =>
    Promise.all([
      ai.reconcile({ staleAfterMs: 10 * 60_000 }).then(
        (r) => r.stale > 0 && log('reconciled', r),
        (err: Error) => log('reconcile-error', { error: err.message }),
      ),
      reminders.reconcileReminders().then(
        (pushed) => pushed > 0 && log('reminders-reconciled', { queue: EMAIL_QUEUE, pushed }),
        (err: Error) => log('reconcile-error', { queue: EMAIL_QUEUE, error: err.message }),
      ),
    ])
  void reconcile()
  const reconciler = setInterval(reconcile, 3_600_000)
  reconciler.unref()
  const graceMs = flags['grace-ms'] ?? 30_000
  const stop = (signal: string) => {
    if (controller.signal.aborted) {
      log('forced-exit', { signal })
      process.exit(130)
    }
    log('stopping', { signal, graceMs })
    controller.abort()
    // The current job keeps its lease; if it cannot finish in time, leaving is safe: it is redelivered.
    setTimeout(() => {
      log('grace-expired', { graceMs })
      process.exit(1)
    }, graceMs).unref()
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))

  log('started', { queue: AI_ANALYSIS_QUEUE, queues: [AI_ANALYSIS_QUEUE, EMAIL_QUEUE], pid: process.pid })
  const emails = runEmailWorker({
    signal: controller.signal,
    minIdleMs: flags['min-idle-ms'],
    // Reminders are due to the minute, not the second, and invitations and resets are sent by the
    // request's after() at once: the e-mail loop idles 5 times longer, so it adds a fifth to the idle bill.
    maxIdleMs: MAIL_IDLE_FACTOR * (flags['max-idle-ms'] ?? 60_000),
    onOutcome: (o) => {
      if (o.status === 'empty') return
      const error = 'error' in o ? String((o.error as Error)?.message ?? o.error) : undefined
      log(o.status, { queue: EMAIL_QUEUE, id: o.job.id, attempt: o.job.attempts, ...(error ? { error } : {}) })
    },
    onError: (err) => log('redis-error', { queue: EMAIL_QUEUE, error: (err as Error).message }),
  })
  const analyses = ai.runAIWorker({
    signal: controller.signal,
    minIdleMs: flags['min-idle-ms'],
    maxIdleMs: flags['max-idle-ms'],
    onReserved: (job) => log('reserved', { id: job.id, attempt: job.attempts, leaseExpiresAt: job.leaseExpiresAt }),
    onOutcome: (o) => {
      if (o.status === 'empty') return
      const error = 'error' in o ? String((o.error as Error)?.message ?? o.error) : undefined
      log(o.status, { id: o.job.id, attempt: o.job.attempts, ...(error ? { error } : {}) })
    },
    onError: (err) => log('redis-error', { error: (err as Error).message }),
  })
  // Both loops finish their current job once the signal aborts.
  await Promise.all([analyses, emails])
  clearInterval(reconciler)
  closeMailer()
  await usageMeter?.flush() // what is pending (one HINCRBY, none when nothing is)
  log('stopped')
  return 0
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
